// `rollback <task> [--cascade]`: reverts a checkpoint (and the checkpoints built on it) with new commits on the
// integration branch, moves their tags aside and puts the tasks back to not_started, so a run redoes them.
import { CodexError, ExitCode } from "../errors.js";
import { commitTree, commitsWithTrailer, createTag, isAncestor, listTags, revParse, updateRefCas } from "../git/index.js";
import { runGit } from "../git/run-git.js";
import { TAG_PREFIX, taskTag } from "../lead/integrate.js";
import { ROLLED_BACK_PREFIX } from "../lead/recover.js";
import { sendMessage } from "../ops/inbox.js";
import { unknownTaskError } from "../ops/known-tasks.js";
import { resetForRetry } from "../ops/task-commands.js";
import { dependentsOf } from "../plan/graph.js";
import { loadPlan } from "../plan/load-plan.js";
import { refreshMirror } from "../report/mirror.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";
import { integrationHead, type CheckpointRepo } from "./_repo.js";
import { revertTree } from "./revert.js";

export const ROLLBACK_REASON = "rolled back by a person";

export interface RevertStep {
  task: string;
  /** The checkpoint commit being reverted. */
  commit: string;
  /** Its tag, codex/task/<task>, deleted by the rollback (null when a crashed rollback already deleted it). */
  tag: string | null;
  /** Where the tag goes: codex/rolled-back/<task>/<n>. */
  rolledBackTag: string;
  /** The new revert commit (null in a dry run, or when an earlier, interrupted rollback already made it). */
  revert: string | null;
}

export interface StoppedAttempt {
  task: string;
  attempt: number;
  worker: string | null;
  /** The cancel message sent to its worker. */
  message?: string;
}

export interface RollbackResult {
  task: string;
  cascade: boolean;
  dryRun: boolean;
  /** Newest checkpoint first: the order the reverts are made in. */
  reverted: RevertStep[];
  /** Every task put back to not_started: the reverted ones, then running dependents that were stopped. */
  reset: string[];
  /** Running dependents whose attempt was stopped (they had started from the work being reverted). */
  stopped: StoppedAttempt[];
  /** The integration head before and after. */
  before: string;
  after: string;
}

export interface RollbackOptions {
  cascade?: boolean;
  dryRun?: boolean;
  /** Who asked; recorded in events.jsonl. Default "person". */
  by?: string;
}

interface Target {
  task: string;
  commit: string;
  tag: string | null;
  order: number;
}

interface Planned {
  head: string;
  targets: Target[];
  running: Array<{ task: string; attempt: number; worker: string | null }>;
}

const CAS_ROUNDS = 10;

/** Rolls back `task` (and, with cascade, its completed and running dependents). Throws CodexError; changes nothing then. */
export async function rollbackTask(repo: CheckpointRepo, task: string, options: RollbackOptions = {}): Promise<RollbackResult> {
  const cascade = options.cascade ?? false;
  for (let round = 0; round < CAS_ROUNDS; round++) {
    const planned = await planTargets(repo, task, cascade);
    const steps = await makeReverts(repo, task, planned);
    const result: RollbackResult = {
      task,
      cascade,
      dryRun: options.dryRun ?? false,
      reverted: steps,
      reset: [...planned.targets.map((t) => t.task), ...planned.running.map((r) => r.task)],
      stopped: planned.running.map((r) => ({ ...r })),
      before: planned.head,
      after: steps.reduce<string>((tip, step) => step.revert ?? tip, planned.head),
    };
    if (options.dryRun) return { ...result, reverted: steps.map((step) => ({ ...step, revert: null })), after: planned.head };
    // The one move of the branch: compare-and-swap from the head the reverts were made on.
    if (result.after !== result.before && !(await updateRefCas(repo.root, repo.integrationRef, result.after, result.before, `codex-crew: rollback ${task}`))) {
      continue; // someone landed work meanwhile: plan again on the new head
    }
    await moveTags(repo, steps);
    result.stopped = await resetProgress(repo, task, result);
    result.reset = [...steps.map((s) => s.task), ...result.stopped.map((s) => s.task)];
    await recordEvents(repo, result, options.by ?? "person");
    return result;
  }
  throw new CodexError("E_BUSY_BRANCH", `${repo.integrationBranch} kept moving while rolling back ${task}; nothing was changed`, {
    hint: `Run \`codex-lead rollback ${task}\` again.`,
    exitCode: ExitCode.busy,
  });
}

/** What the rollback covers, checked: the task's checkpoint, its dependents, all on the integration branch. */
async function planTargets(repo: CheckpointRepo, task: string, cascade: boolean): Promise<Planned> {
  const { root } = repo;
  const plan = await loadPlan(repo.store);
  const progress = await repo.store.progress.read();
  if (!plan.byId.has(task)) throw unknownTaskError(task, [...plan.byId.keys()]);
  const head = await integrationHead(repo);
  const tags = await listTags(root, `${TAG_PREFIX}*`);
  const rolledBack = new Map<string, string>();
  for (const [name, sha] of await listTags(root, `${ROLLED_BACK_PREFIX}*`)) rolledBack.set(sha, name);

  const own = checkpointTarget(task, tags, progress, rolledBack);
  if (own === undefined) {
    const state = progress.tasks[task];
    throw new CodexError("E_NOT_COMPLETED", `cannot roll back task ${JSON.stringify(task)}: it is ${state?.status ?? "not_started"}, it has no checkpoint`, {
      hint: "Only completed subtasks can be rolled back; run `codex-lead checkpoints` to list them.",
      exitCode: ExitCode.usage,
    });
  }
  const targets: Target[] = [own];
  const blockers: string[] = [];
  const running: Planned["running"] = [];
  for (const dependent of dependentsOf(plan, task)) {
    const target = checkpointTarget(dependent, tags, progress, rolledBack);
    const state = progress.tasks[dependent];
    if (target !== undefined) {
      targets.push(target);
      blockers.push(`${dependent} (completed)`);
    } else if (state?.status === "in_progress") {
      running.push({ task: dependent, attempt: state.attempt ?? 0, worker: state.assignee ?? null });
      blockers.push(`${dependent} (in_progress, attempt ${state.attempt ?? 0})`);
    }
  }
  if (blockers.length > 0 && !cascade) {
    throw new CodexError("E_HAS_DEPENDENTS", `cannot roll back ${task} alone: ${blockers.length} subtask${blockers.length === 1 ? "" : "s"} built on it`, {
      details: blockers,
      hint: `Run \`codex-lead rollback ${task} --cascade\` to roll them back too (add --dry-run to see what it would do).`,
      exitCode: ExitCode.usage,
    });
  }
  const order = await firstParentOrder(root, head);
  for (const target of targets) {
    const position = order.get(target.commit);
    if (position === undefined || !(await isAncestor(root, target.commit, head))) {
      throw new CodexError("E_NOT_ON_BRANCH", `the checkpoint of ${target.task} (${target.commit.slice(0, 12)}) is not on ${repo.integrationBranch}`, {
        hint: "The integration branch was moved by hand; put it back or revert the commit yourself.",
        exitCode: ExitCode.usage,
      });
    }
    target.order = position;
  }
  targets.sort((a, b) => b.order - a.order);
  return { head, targets, running };
}

/**
 * The checkpoint of a task: its codex/task tag, or — when an interrupted rollback already moved the
 * tag aside — the commit progress.json still calls completed, if a rolled-back tag marks it.
 */
function checkpointTarget(task: string, tags: Map<string, string>, progress: ProgressFile, rolledBack: Map<string, string>): Target | undefined {
  const tagged = tags.get(taskTag(task));
  if (tagged !== undefined) return { task, commit: tagged, tag: taskTag(task), order: 0 };
  const state = progress.tasks[task];
  if (state?.status === "completed" && state.commit && rolledBack.has(state.commit)) return { task, commit: state.commit, tag: null, order: 0 };
  return undefined;
}

async function firstParentOrder(root: string, head: string): Promise<Map<string, number>> {
  const order = new Map<string, number>();
  (await runGit(root, ["rev-list", "--first-parent", "--reverse", head, "--"])).stdout.split("\n").forEach((sha, index) => {
    if (sha !== "") order.set(sha, index + 1);
  });
  return order;
}

/** The revert commits, newest checkpoint first, chained on the head; a conflict stops everything (E_CONFLICT). */
async function makeReverts(repo: CheckpointRepo, requested: string, planned: Planned): Promise<RevertStep[]> {
  const { root } = repo;
  const alreadyReverted = new Set((await commitsWithTrailer(root, planned.head, "Reverts-Commit", { firstParent: true })).flatMap((c) => c.value.split(",")));
  const steps: RevertStep[] = [];
  let tip = planned.head;
  for (const target of planned.targets) {
    const rolledBackTag = await rolledBackTagFor(root, target);
    if (alreadyReverted.has(target.commit)) {
      steps.push({ task: target.task, commit: target.commit, tag: target.tag, rolledBackTag, revert: null });
      continue;
    }
    const outcome = await revertTree(root, { onto: tip, commit: target.commit });
    if (!outcome.ok) {
      const files = outcome.conflicts.length > 0 ? outcome.conflicts : ["(git named no file)"];
      throw new CodexError("E_CONFLICT", `rolling back ${target.task} conflicts with later work on ${repo.integrationBranch} in: ${files.join(", ")}; nothing was changed`, {
        details: files.map((file) => `conflict: ${file}`),
        hint: `Resolve it by hand (e.g. \`git revert ${target.commit.slice(0, 12)}\` on a branch off ${repo.integrationBranch}), or roll back the later work first.`,
        exitCode: ExitCode.usage,
      });
    }
    const subject = (await runGit(root, ["log", "-1", "--format=%s", target.commit, "--"])).stdout;
    const why = target.task === requested ? "" : `, which depends on ${requested}`;
    const revert = await commitTree(root, {
      tree: outcome.tree,
      parents: [tip],
      message: `Revert "${subject}"\n\nRolls back the checkpoint ${target.commit} of ${target.task}${why}\n(codex-lead rollback ${requested}).\n`,
      trailers: { "Reverts-Task": target.task, "Reverts-Commit": target.commit, "Rollback-Of": requested },
    });
    steps.push({ task: target.task, commit: target.commit, tag: target.tag, rolledBackTag, revert });
    tip = revert;
  }
  return steps;
}

/** codex/rolled-back/<task>/<n>: the one already on this commit (an interrupted rollback), else the next free n. */
async function rolledBackTagFor(root: string, target: Target): Promise<string> {
  const prefix = `${ROLLED_BACK_PREFIX}${target.task}/`;
  let highest = 0;
  for (const [name, sha] of await listTags(root, `${prefix}*`)) {
    const n = Number.parseInt(name.slice(prefix.length), 10);
    if (sha === target.commit && String(n) === name.slice(prefix.length)) return name;
    if (Number.isFinite(n)) highest = Math.max(highest, n);
  }
  return `${prefix}${highest + 1}`;
}

/** The rolled-back tag first (so startup recovery never re-tags the commit), then the task tag goes. */
async function moveTags(repo: CheckpointRepo, steps: RevertStep[]): Promise<void> {
  for (const step of steps) {
    let name = step.rolledBackTag;
    for (let n = 0; (await createTag(repo.root, name, step.commit)) === "exists"; n++) {
      if ((await revParse(repo.root, `refs/tags/${name}^{commit}`)) === step.commit || n > 20) break;
      name = name.replace(/\/(\d+)$/, (_m, d: string) => `/${Number(d) + 1}`); // taken by a concurrent rollback of a redo
    }
    step.rolledBackTag = name;
    // Deleted only while it still names this commit (a compare-and-delete).
    if (step.tag !== null) await runGit(repo.root, ["update-ref", "-d", `refs/tags/${step.tag}`, step.commit], { okExitCodes: [0, 1] });
  }
}

/** Reverted tasks (and running dependents, whose attempts are stopped) back to not_started, under the progress lock. */
async function resetProgress(repo: CheckpointRepo, requested: string, result: RollbackResult): Promise<StoppedAttempt[]> {
  const plan = await loadPlan(repo.store);
  const reverted = new Set(result.reverted.map((s) => s.task));
  const dependents = dependentsOf(plan, requested).filter((id) => !reverted.has(id));
  let stopped: StoppedAttempt[] = [];
  let snapshot: ProgressFile | undefined;
  await repo.store.progress.update((draft) => {
    stopped = [];
    const now = new Date().toISOString();
    for (const id of reverted) {
      const state: TaskState = draft.tasks[id] ?? { status: "not_started" };
      draft.tasks[id] = state;
      if (state.attempt) state.attempts = [...(state.attempts ?? []), { attempt: state.attempt, outcome: "rolled_back", reason: ROLLBACK_REASON, at: now }];
      clearForRedo(state, now, ROLLBACK_REASON);
    }
    // A dependent running now started from the work just reverted: its attempt ends and it starts over.
    // (Without --cascade this only happens when the lead started it after our check.)
    for (const id of dependents) {
      const state = draft.tasks[id];
      if (state?.status !== "in_progress") continue;
      const reason = `its dependency ${requested} was ${ROLLBACK_REASON}`;
      const attempt = state.attempt ?? 0;
      if (attempt > 0) state.attempts = [...(state.attempts ?? []), { attempt, outcome: "cancelled", reason, at: now, ...(state.assignee ? { worker: state.assignee } : {}) }];
      stopped.push({ task: id, attempt, worker: state.assignee ?? null });
      clearForRedo(state, now, reason);
    }
    snapshot = structuredClone(draft);
  });
  for (const stop of stopped) {
    const message = await sendMessage(repo.store, stop.task, {
      kind: "cancel",
      from: "person",
      text: `stopped: its dependency ${requested} was ${ROLLBACK_REASON}`,
      ...(stop.attempt > 0 ? { attempt: stop.attempt } : {}),
      ...(stop.worker ? { worker: stop.worker } : {}),
    }).catch(() => undefined);
    if (message) stop.message = message.id;
  }
  // The readable mirror in features.json follows; a plan a person is halfway through editing is left alone.
  if (snapshot) {
    const progress = snapshot;
    await repo.store.features.update((features) => refreshMirror(features, progress)).catch((error: unknown) => {
      if (!(error instanceof CodexError)) throw error;
    });
  }
  return stopped;
}

/** Like a retry, and the checkpoint it had is forgotten too: the redo makes a new one. */
function clearForRedo(state: TaskState, now: string, reason: string): void {
  resetForRetry(state, now);
  state.reason = reason;
  delete state.commit;
  delete state.tag;
  delete state.result;
}

async function recordEvents(repo: CheckpointRepo, result: RollbackResult, by: string): Promise<void> {
  for (const step of result.reverted) {
    const data = { commit: step.commit, revert: step.revert, tag: step.tag, rolled_back_tag: step.rolledBackTag, requested: result.task, cascade: result.cascade };
    await repo.store.event({ type: "rollback", task: step.task, from: "completed", to: "not_started", reason: ROLLBACK_REASON, by, data });
    await repo.store.event({ type: "task.status", task: step.task, from: "completed", to: "not_started", reason: ROLLBACK_REASON, by, data: { command: "rollback", requested: result.task } });
  }
  for (const stop of result.stopped) {
    const reason = `its dependency ${result.task} was ${ROLLBACK_REASON}`;
    await repo.store.event({ type: "task.status", task: stop.task, attempt: stop.attempt, ...(stop.worker ? { worker: stop.worker } : {}), from: "in_progress", to: "not_started", reason, by, data: { command: "rollback", requested: result.task } });
  }
}
