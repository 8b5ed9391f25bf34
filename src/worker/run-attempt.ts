// One attempt of one subtask, start to hand-off: worktree, agent, heartbeats, inbox, commit, report.
import { mkdirSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import path from "node:path";
import { runShellAgent, type AgentOutcome } from "../agents/shell.js";
import { commitAll, subjectLine } from "../git/index.js";
import { parseDuration } from "../util/duration.js";
import { commitSubmodules, markWorktreeClean, prepareWorktree, saveLeftovers } from "./worktree.js";
import { planOfText, type Plan } from "../plan/load-plan.js";
import type { PlanTask } from "../plan/plan.js";
import type { Config } from "../schema/config.js";
import type { InboxMessage } from "../schema/inbox.js";
import type { CodexStore } from "../store/codex-store.js";
import { agentEnv, ensureWorkerShim, notesFile } from "./agent-env.js";
import { fenceCheck, fencedTaskUpdate, type AttemptToken } from "../ops/fence.js";
import { sendMessage } from "../ops/inbox.js";
import { redactSecrets } from "../util/redact.js";

export interface AttemptContext {
  store: CodexStore;
  config: Config;
  heartbeatMs: number;
  token: AttemptToken;
  message: InboxMessage;
  /** The integration commit to start from (the assignment's, else the task entry's). */
  base: string | undefined;
  stop: AbortSignal;
  log: (line: string) => void;
}

type StopReason = "cancelled" | "withdrawn" | "stopping";

export function workBranch(token: Pick<AttemptToken, "task" | "attempt">): string {
  return `codex/work/${token.task}/a${token.attempt}`;
}

/**
 * An agent that ends sooner never has its pid written (one locked write less per attempt); a worker killed
 * before then leaves an agent the lead still finds, by its working directory in the worker's worktree.
 */
const AGENT_PID_DELAY_MS = 100;

/** The last plan read, by features.json path: a worker runs many attempts of a plan whose text is unchanged. */
const lastPlans = new Map<string, { text: string; plan: Plan }>();

async function currentPlan(store: CodexStore): Promise<Plan> {
  const file = store.paths.features;
  const text = await store.features.readText();
  const last = lastPlans.get(file);
  if (text !== null && last?.text === text) return last.plan;
  const plan = await planOfText(store, text);
  if (text !== null) lastPlans.set(file, { text, plan });
  return plan;
}

/** Runs the attempt; true when its hand-off was written, which also set our worker entry idle. */
export async function runAttempt(context: AttemptContext): Promise<boolean> {
  const { store, token, log } = context;
  // The ack is written while the plan is read and the worktree switched (it is not needed before the agent
  // starts); a failure to write it still ends the attempt, as before, once it is awaited.
  const acked = ack(store, token, [context.message.id]);
  acked.catch(() => undefined);
  const failEarly = async (error: string) => {
    await acked;
    return handOff(context, { outcome: "failed", error });
  };

  let subtask;
  try {
    subtask = (await currentPlan(store)).byId.get(token.task);
  } catch (error: unknown) {
    return failEarly(`could not read the plan: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!subtask) return failEarly(`subtask ${token.task} is no longer in features.json`);
  const agent = subtask.agent ?? context.config.agent;
  if (agent !== "shell") return failEarly(`agent "${agent}" is not available in this version; use "shell"`);
  if (!subtask.command) return failEarly(`subtask ${token.task} has no "command" for the shell agent`);
  const base = context.base;
  if (!base) return failEarly("the assignment names no base commit");

  const worktree = path.join(store.paths.worktrees, token.worker);
  const branch = workBranch(token);
  const agentStop = new AbortController();
  let stopReason: StopReason | undefined;
  const stopAgent = (reason: StopReason) => {
    stopReason ??= reason;
    agentStop.abort();
  };
  const onOuterStop = () => stopAgent("stopping");
  context.stop.addEventListener("abort", onOuterStop);
  if (context.stop.aborted) stopAgent("stopping");
  // The lease is renewed from here to the hand-off: a slow checkout or a slow commit hook is not a stall.
  const heartbeats = startHeartbeats(context, stopAgent);
  let ended: { handedOff: boolean } | { result: HandOffResult };
  try {
    ended = await attemptInWorktree(context, { subtask, worktree, branch, base, acked, agentStop, stopAgent, stopReason: () => stopReason });
  } finally {
    context.stop.removeEventListener("abort", onOuterStop);
    await heartbeats.stop();
  }
  if ("handedOff" in ended) return ended.handedOff;
  await acked;
  return handOff(context, ended.result);
}

type HandOffResult = { outcome: "succeeded"; commit: string } | { outcome: "failed"; error: string };

interface AttemptParts {
  subtask: PlanTask;
  worktree: string;
  branch: string;
  base: string;
  acked: Promise<void>;
  agentStop: AbortController;
  stopAgent: (reason: StopReason) => void;
  stopReason: () => StopReason | undefined;
}

/** Worktree, agent, review and commit, while the heartbeats run; what to hand off (or that nothing is to be). */
async function attemptInWorktree(context: AttemptContext, parts: AttemptParts): Promise<{ handedOff: boolean } | { result: HandOffResult }> {
  const { store, token, log } = context;
  const { subtask, worktree, branch, agentStop, stopAgent } = parts;
  try {
    await prepareWorktree(store.paths.root, worktree, branch, parts.base, token.worker);
  } catch (error: unknown) {
    return { result: { outcome: "failed", error: `could not prepare worktree ${worktree}: ${messageOf(error)}` } };
  }
  await parts.acked;
  // The lead's assignment already named branch and worktree: a read checks the token before the agent starts
  // (the heartbeats fence every write after), and the ack above tells that we took the assignment.
  mkdirSync(path.dirname(notesFile(store.paths, token)), { recursive: true });
  const [fence, shimDir] = await Promise.all([fenceCheck(store, token, "start"), ensureWorkerShim(store.paths)]);
  if (!fence.applied) return { handedOff: false };

  let outcome: AgentOutcome;
  let recordPid: NodeJS.Timeout | undefined;
  try {
    await readInbox(context, stopAgent);
    outcome = await runShellAgent({
      command: subtask.command ?? "",
      cwd: worktree,
      env: agentEnv(store.paths, token, worktree, shimDir),
      timeoutMs: subtask.timeout !== undefined ? parseDuration(subtask.timeout, `${token.task}.timeout`) : context.config.taskTimeoutMs,
      signal: agentStop.signal,
      onSpawn: (pid) => {
        recordPid = setTimeout(() => void recordAgentPid(store, token, pid).catch(() => undefined), AGENT_PID_DELAY_MS);
      },
    });
  } finally {
    clearTimeout(recordPid);
  }

  const trailers = { Task: token.task, Attempt: String(token.attempt), Worker: token.worker };
  if (!outcome.ok) {
    const stopReason = parts.stopReason();
    await keepWork(context, worktree, trailers, `wip: ${token.task} attempt ${token.attempt} (${stopReason ?? outcome.reason})`);
    if (stopReason) {
      log(`attempt ${token.attempt} of ${token.task} stopped: ${stopReason}`);
      return { handedOff: false };
    }
    return { result: { outcome: "failed", error: outcome.message } };
  }
  if (context.config.reviewCommand) {
    const review = await runShellAgent({
      command: context.config.reviewCommand,
      cwd: worktree,
      env: agentEnv(store.paths, token, worktree, shimDir),
      timeoutMs: context.config.taskTimeoutMs,
      signal: agentStop.signal,
    });
    if (!review.ok) {
      await keepWork(context, worktree, trailers, `wip: ${token.task} attempt ${token.attempt} (review failed)`);
      await sendMessage(store, token.task, { kind: "feedback", from: "review", text: `review failed: ${review.message}` });
      return { result: { outcome: "failed", error: `review gate failed: ${review.message}` } };
    }
  }
  try {
    await commitSubmodules(worktree, `${token.task}: submodule changes of attempt ${token.attempt}`, trailers);
    const commit = await commitAll(worktree, { message: subjectLine(`${token.task}: ${subtask.name}`), trailers, allowEmpty: true });
    markWorktreeClean(worktree);
    return { result: { outcome: "succeeded", commit } };
  } catch (error: unknown) {
    // The work must outlive the failed commit (a hook, a signing key, a clean filter): saved on the branch, or
    // left in the worktree, which is then not reused. The reason names git's own words.
    const kept = await keepWork(context, worktree, trailers, `wip: ${token.task} attempt ${token.attempt} (its commit failed)`);
    return { result: { outcome: "failed", error: `commit failed: ${messageOf(error)}; ${kept}` } };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Renews the lease and reads the inbox every heartbeat until stopped; stop() resolves once the last beat is done. */
function startHeartbeats(context: AttemptContext, stopAgent: (reason: StopReason) => void): { stop(): Promise<void> } {
  const { store, token, log } = context;
  let beating = true;
  let wakeBeats: (() => void) | undefined;
  const beats = (async () => {
    while (beating) {
      // Woken early when the attempt ends, so the hand-off never waits out a heartbeat interval.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, context.heartbeatMs);
        wakeBeats = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!beating) break;
      try {
        const fence = await fencedTaskUpdate(store, token, "heartbeat", (task, progress) => {
          const now = new Date().toISOString();
          task.updated_at = now;
          // The lead wrote "assigned"; no write of ours said the agent started, so the first beat does.
          if (task.detail === "assigned") task.detail = "working";
          const me = progress.workers?.[token.worker];
          if (me) me.updated_at = now;
        });
        if (!fence.applied) stopAgent("withdrawn");
        await readInbox(context, stopAgent);
      } catch (error: unknown) {
        log(`heartbeat: ${messageOf(error)}`);
      }
    }
  })();
  return {
    stop: async () => {
      beating = false;
      wakeBeats?.();
      await beats;
    },
  };
}

/** Work that is not handed off is committed on the attempt's branch, so nothing is lost; says where it is. */
async function keepWork(context: AttemptContext, worktree: string, trailers: Record<string, string>, message: string): Promise<string> {
  const branch = workBranch({ task: trailers["Task"] ?? "", attempt: Number(trailers["Attempt"]) });
  try {
    const commit = await saveLeftovers(worktree, message, trailers);
    markWorktreeClean(worktree);
    return commit === undefined ? "nothing was left uncommitted" : `the work is kept on branch ${branch} (commit ${commit.slice(0, 12)})`;
  } catch (error: unknown) {
    const why = messageOf(error);
    context.log(`could not commit leftover work in ${worktree}: ${why}`);
    return `the work could not be saved either (${why}) and is left in ${worktree}, which is not reused`;
  }
}

/** True when the hand-off was written (it sets our worker entry idle in the same write). */
async function handOff(context: AttemptContext, result: HandOffResult): Promise<boolean> {
  const { store, token } = context;
  if (result.outcome === "failed") result = { ...result, error: redactSecrets(result.error) };
  const fence = await fencedTaskUpdate(store, token, `hand-off (${result.outcome})`, (task, progress) => {
    const now = new Date().toISOString();
    // Free for the next assignment in the same write: the lead need not wait for another round trip.
    const me = progress.workers?.[token.worker];
    if (me && me.task === token.task && me.attempt === token.attempt) {
      Object.assign(me, { status: "idle", task: null, attempt: null, agent_pid: null, updated_at: now });
    }
    task.handoff = { attempt: token.attempt, at: now, ...result };
    task.updated_at = now;
    task.detail = result.outcome === "succeeded" ? "done; waiting for the lead to merge" : `failed: ${result.error}`;
    if (result.outcome === "succeeded") task.percent = 100;
  });
  if (fence.applied) {
    await store.event({
      type: "attempt.handoff",
      task: token.task,
      attempt: token.attempt,
      worker: token.worker,
      reason: result.outcome === "failed" ? result.error : undefined,
      data: result.outcome === "succeeded" ? { commit: result.commit } : { outcome: "failed" },
    });
  }
  return fence.applied;
}

/** The running agent's process group, for the lead to kill should this worker die. */
async function recordAgentPid(store: CodexStore, token: AttemptToken, pid: number): Promise<void> {
  await store.progress.update((progress) => {
    const me = progress.workers?.[token.worker];
    if (me && me.task === token.task && me.attempt === token.attempt) me.agent_pid = pid;
  });
}

async function ack(store: CodexStore, token: AttemptToken, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await store.inbox(token.task).update((inbox) => {
    const now = new Date().toISOString();
    for (const message of inbox.messages) {
      if (ids.includes(message.id) && !message.acked_at) {
        message.acked_at = now;
        message.acked_by = token.worker;
      }
    }
  });
}

/** Cancel stops the agent; notes and feedback are appended to the notes file the agent can read. */
async function readInbox(context: AttemptContext, stopAgent: (reason: StopReason) => void): Promise<void> {
  const { store, token } = context;
  const inbox = await store.inbox(token.task).read();
  const pending = inbox.messages.filter((m) => !m.acked_at && m.kind !== "assignment");
  if (pending.length === 0) return;
  const notes: string[] = [];
  for (const message of pending) {
    if (message.kind === "cancel") {
      if (message.attempt === undefined || message.attempt === token.attempt) stopAgent("cancelled");
      continue;
    }
    notes.push(`[${message.created_at}] ${message.kind} from ${message.from ?? "someone"}: ${message.text ?? ""}\n`);
  }
  if (notes.length > 0) await appendFile(notesFile(store.paths, token), notes.join(""));
  await ack(store, token, pending.filter((m) => m.kind !== "cancel" || m.attempt === undefined || m.attempt === token.attempt).map((m) => m.id));
}
