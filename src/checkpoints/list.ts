// Reading checkpoints back: one row per completed subtask (its codex/task/<id> tag), a checkpoint's commit, and what changed since.
import { CodexError, ExitCode } from "../errors.js";
import { listTags, revParse } from "../git/index.js";
import { runGit, splitNul } from "../git/run-git.js";
import { TAG_PREFIX, taskTag } from "../lead/integrate.js";
import { planTaskIds, unknownTaskError } from "../ops/known-tasks.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";
import { integrationHead, type CheckpointRepo } from "./_repo.js";

export interface CheckpointRow {
  task: string;
  attempt: number | null;
  worker: string | null;
  commit: string;
  tag: string;
  /** When the lead marked it completed (progress.json), else the checkpoint commit's committer date. */
  when: string;
  files: string[];
  /** The reviewer's verdict: the commit's `Review:` trailer, else what its result records; null when not known. */
  review: string | null;
  usage: NonNullable<TaskState["usage"]> | null;
  /** Position on the integration branch (1 = oldest checkpoint); null when the tag is not on the branch. */
  order: number | null;
  /** progress.json's status of the task (normally "completed"); null when progress.json has no entry. */
  status: string | null;
}

interface CommitFacts {
  task: string;
  attempt: string;
  worker: string;
  date: string;
  /** The commit's `Review:` trailer (the reviewer's verdict), "" when it has none. */
  review: string;
  files: string[];
}

/** Trailers, date and changed files of many commits in one `git log --no-walk`. */
async function commitFacts(root: string, shas: string[]): Promise<Map<string, CommitFacts>> {
  const facts = new Map<string, CommitFacts>();
  if (shas.length === 0) return facts;
  const trailer = (key: string) => `%(trailers:key=${key},valueonly,unfold,separator=%x2c)`;
  const format = `--format=%x1e%H%x1f${trailer("Task")}%x1f${trailer("Attempt")}%x1f${trailer("Worker")}%x1f${trailer("Review")}%x1f%cI%x1f`;
  const args = ["log", "--no-walk=unsorted", "--stdin", "-z", "--name-only", "--no-renames", format];
  const out = (await runGit(root, args, { input: `${[...new Set(shas)].join("\n")}\n` })).stdout;
  for (const record of out.split("\x1e")) {
    const [sha = "", task = "", attempt = "", worker = "", review = "", date = "", rest = ""] = record.split("\x1f");
    if (sha === "") continue;
    facts.set(sha.trim(), { task: task.trim(), attempt: attempt.trim(), worker: worker.trim(), review: review.trim(), date: date.trim(), files: splitNul(rest).map((file) => file.replace(/^\n+/, "")).filter((file) => file !== "") });
  }
  return facts;
}

/** Commit -> position on the integration branch's first-parent line (1 = oldest). */
async function integrationOrder(root: string, head: string): Promise<Map<string, number>> {
  const out = (await runGit(root, ["rev-list", "--first-parent", "--reverse", head, "--"])).stdout;
  const order = new Map<string, number>();
  out.split("\n").forEach((sha, index) => {
    if (sha !== "") order.set(sha, index + 1);
  });
  return order;
}

function reviewOf(result: unknown): string | null {
  if (typeof result !== "object" || result === null) return null;
  const review = (result as Record<string, unknown>)["review"];
  if (typeof review === "string") return review;
  if (typeof review === "object" && review !== null && typeof (review as Record<string, unknown>)["verdict"] === "string") {
    return (review as Record<string, string>)["verdict"] ?? null;
  }
  return null;
}

/** One row per codex/task/<id> tag, oldest first by integration order (tags off the branch last). */
export async function listCheckpoints(repo: CheckpointRepo, progress?: ProgressFile): Promise<CheckpointRow[]> {
  const head = await revParse(repo.root, `${repo.integrationRef}^{commit}`);
  const tags = await listTags(repo.root, `${TAG_PREFIX}*`);
  if (tags.size === 0) return [];
  const state = progress ?? (await repo.store.progress.read());
  const order = head === null ? new Map<string, number>() : await integrationOrder(repo.root, head);
  const facts = await commitFacts(repo.root, [...tags.values()]);
  const rows: CheckpointRow[] = [];
  for (const [tag, commit] of tags) {
    const task = tag.slice(TAG_PREFIX.length);
    const fact = facts.get(commit);
    const entry = state.tasks[task];
    const attempt = Number.parseInt(fact?.attempt ?? "", 10);
    rows.push({
      task,
      attempt: Number.isFinite(attempt) ? attempt : null,
      worker: fact?.worker || null,
      commit,
      tag,
      when: (entry?.status === "completed" && entry.commit === commit && entry.completed_at) || fact?.date || "",
      files: fact?.files ?? [],
      review: fact?.review || reviewOf(entry?.result),
      usage: entry?.usage ?? null,
      order: order.get(commit) ?? null,
      status: entry?.status ?? null,
    });
  }
  return rows.sort((a, b) => (a.order ?? Number.MAX_SAFE_INTEGER) - (b.order ?? Number.MAX_SAFE_INTEGER) || a.task.localeCompare(b.task));
}

/** The commit tagged codex/task/<task>; E_UNKNOWN_TASK or E_NOT_COMPLETED (exit 2) otherwise. */
export async function checkpointOf(repo: CheckpointRepo, task: string): Promise<{ commit: string; tag: string }> {
  const tag = taskTag(task);
  const commit = /^[A-Za-z0-9._-]+$/.test(task) ? await revParse(repo.root, `refs/tags/${tag}^{commit}`) : null;
  if (commit !== null) return { commit, tag };
  const planIds = await planTaskIds(repo.store);
  const progress = await repo.store.progress.read();
  if (!planIds.includes(task) && progress.tasks[task] === undefined) throw unknownTaskError(task, [...planIds, ...Object.keys(progress.tasks)]);
  const status = progress.tasks[task]?.status ?? "not_started";
  throw new CodexError("E_NOT_COMPLETED", `task ${JSON.stringify(task)} has no checkpoint: it is ${status}`, {
    hint: "Only completed subtasks have a checkpoint; run `codex-lead checkpoints` to list them.",
    exitCode: ExitCode.usage,
  });
}

/** The checkpoint's commit as `git show` prints it: header, message with its trailers, stat and diff. */
export async function showCheckpoint(repo: CheckpointRepo, task: string, options: { color?: boolean } = {}): Promise<string> {
  const { commit } = await checkpointOf(repo, task);
  const color = options.color ? "--color=always" : "--no-color";
  return (await runGit(repo.root, ["show", color, "--format=fuller", "--stat", "--patch", commit, "--"])).stdout;
}

/** Files changed on the integration branch since `task`'s checkpoint (`git diff --name-only <tag> <integration>`). */
export async function changesSince(repo: CheckpointRepo, task: string): Promise<string[]> {
  const { commit } = await checkpointOf(repo, task);
  const head = await integrationHead(repo);
  return splitNul((await runGit(repo.root, ["diff", "--name-only", "--no-renames", "-z", commit, head, "--"])).stdout);
}
