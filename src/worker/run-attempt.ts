// One attempt of one subtask, start to hand-off: worktree, agent, heartbeats, inbox, commit, report.
import path from "node:path";
import { addUsage, budgetExhaustedReason, type AgentInput, type AgentResult } from "../agents/contract.js";
import { checkedResult, spending } from "./attempt-outcome.js";
import { handOff, type HandoffFields } from "./attempt-handoff.js";
import { profileNameOf, resolveProfile } from "../agents/profiles.js";
import { buildTaskPrompt } from "../agents/prompt.js";
import { runAgent } from "../agents/run-agent.js";
import { commitAll, subjectLine } from "../git/index.js";
import { parseDuration } from "../util/duration.js";
import { startTimeOf } from "../util/process-identity.js";
import { writeNoFollow } from "../store/safe-path.js";
import { commitSubmodules, markWorktreeClean, markWorktreeUnusable, prepareWorktree, saveLeftovers, workBranch } from "./worktree.js";
import { planOfText, type Plan } from "../plan/load-plan.js";

export { workBranch } from "./worktree.js";
import type { CodexStore } from "../store/codex-store.js";
import { agentEnv, notesFile, prepareAttemptFiles } from "./agent-env.js";
import { agentTask, attemptBudget, attemptFiles, attemptHistory } from "./agent-input.js";
import { resumePoint, type ResumePoint } from "./resume.js";
import { ack, readInbox, takeMessages, type StopReason } from "./attempt-inbox.js";
import { fenceCheck, fencedTaskUpdate, type AttemptToken } from "../ops/fence.js";
import { reportTaskProgress } from "../ops/agent-reports.js";
import { sendMessage } from "../ops/inbox.js";
import { guardFeedback, refusedChanges } from "../guard/check-changes.js";
import { reviewGate } from "./review-gate.js";
import type { AttemptContext } from "./attempt-context.js";


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
  const profile = resolveProfile(profileNameOf(subtask, context.config), context.config);
  if (!profile.ok) return failEarly(`subtask ${token.task}: ${profile.reason}`);
  // The shell kind needs a command; saying so before a worktree is made spares a checkout.
  if (profile.profile.type === "shell" && !subtask.command && !profile.profile.command) {
    return failEarly(`subtask ${token.task} has no "command" for the shell agent`);
  }
  const base = context.base;
  if (!base) return failEarly("the assignment names no base commit");

  const worktree = path.join(store.paths.worktrees, token.worker);
  const branch = workBranch(token);
  const kind = profile.profile.type;
  const agentStop = new AbortController();
  let stopReason: StopReason | undefined;
  const stopAgent = (reason: StopReason) => {
    stopReason ??= reason;
    agentStop.abort();
  };
  const onOuterStop = () => stopAgent("stopping");
  context.stop.addEventListener("abort", onOuterStop);
  if (context.stop.aborted) stopAgent("stopping");
  // The openai agent puts notes into its conversation itself (and acknowledges them then); the others read a file.
  const notesToFile = kind !== "openai";
  // The lease is renewed from before the worktree is prepared until the hand-off: a slow checkout or a slow
  // commit hook is not a stall. The beats stop before the hand-off is written.
  // Once the agent ended, notes and feedback are left in the inbox for the next attempt (the review gate's own
  // feedback among them): a beat during the review must not file them in this attempt's notes, read by no one.
  let agentRunning = true;
  const heartbeats = startHeartbeats(context, stopAgent, () => notesToFile && agentRunning);
  const handOffNow = async (result: HandoffFields, agentResult?: unknown): Promise<boolean> => {
    await heartbeats.stop();
    return handOff(context, result, agentResult);
  };
  try {
    // The openai agent continues an attempt that was cut off, from its kept work and call record (never paying twice).
    const resume = kind === "openai" ? await resumeFrom(context, base) : undefined;
    try {
      await prepareWorktree(store.paths, worktree, branch, resume?.head ?? base, token.worker);
    } catch (error: unknown) {
      await acked;
      return await handOffNow({ outcome: "failed", error: `could not prepare worktree ${worktree}: ${error instanceof Error ? error.message : String(error)}` });
    }
    await acked;
    // The lead's assignment already named branch and worktree: a read checks the token before the agent starts
    // (the heartbeats fence every write after), and the ack above tells that we took the assignment.
    let shimDir: string;
    try {
      shimDir = await prepareAttemptFiles(store.paths, token);
    } catch (error: unknown) {
      return await handOffNow({ outcome: "failed", error: error instanceof Error ? error.message : String(error) });
    }
    const fence = await fenceCheck(store, token, "start");
    if (!fence.applied) return false;
    const budget = attemptBudget(subtask, fence.task, context.config);
    // Only agents that spend credits can be stopped by a budget: a shell command runs whatever it is.
    if (kind !== "shell" && budget.limit !== undefined && budget.spentBefore >= budget.limit) {
      return await handOffNow({ outcome: "failed", error: budgetExhaustedReason(token.task, budget.spentBefore, budget.limit), blocked: true });
    }

    let outcome: AgentResult;
    let recordPid: NodeJS.Timeout | undefined;
    const files = attemptFiles(store.paths, token);
    const env = agentEnv(store.paths, token, worktree, shimDir);
    try {
      const inbox = await readInbox(store, token, stopAgent, notesToFile);
      const timeout = subtask.timeout ?? (profile.profile.type === "cli" ? profile.profile.timeout : undefined);
      const input: AgentInput = {
        profileName: profile.name,
        profile: profile.profile,
        task: agentTask(subtask),
        token,
        root: store.paths.root,
        worktree,
        history: attemptHistory(inbox, fence.task),
        budget,
        env,
        notesFile: notesFile(store.paths, token),
        logFile: files.logFile,
        recordDir: files.recordDir,
        timeoutMs: timeout !== undefined ? parseDuration(timeout, `${token.task}.timeout`) : context.config.taskTimeoutMs,
        signal: agentStop.signal,
        reportProgress: async (percent, detail) => {
          const reported = await reportTaskProgress(store, token, percent, detail);
          if (!reported.applied) stopAgent("withdrawn");
        },
        ...(kind === "openai" ? { takeMessages: () => takeMessages(store, token) } : {}),
        ...(resume ? { resume: { fromAttempt: resume.fromAttempt } } : {}),
        onSpawn: (pid) => {
          clearTimeout(recordPid);
          // Its start time is read now, while the pid surely names our agent: the lead checks both before signalling.
          const start = startTimeOf(pid) ?? null;
          recordPid = setTimeout(() => void recordAgentPid(store, token, pid, start).catch(() => undefined), AGENT_PID_DELAY_MS);
        },
        log,
      };
      // Every kind gets the task prompt as a file too: a shell command (a CSV job's, say) reads it from there.
      writeNoFollow(store.paths.dir, files.promptFile, buildTaskPrompt(input));
      env["CODEX_PROMPT_FILE"] = files.promptFile;
      outcome = await runAgent(input);
    } finally {
      agentRunning = false;
      clearTimeout(recordPid);
    }

    const spent = spending(outcome, budget.creditsOf);
    const trailers = { Task: token.task, Attempt: String(token.attempt), Worker: token.worker };
    const keep = (why: string) => keepWork(context, worktree, trailers, `wip: ${token.task} attempt ${token.attempt} (${why})`);
    if (!outcome.ok) {
      await keep(stopReason ?? outcome.kind);
      if (stopReason) {
        log(`attempt ${token.attempt} of ${token.task} stopped: ${stopReason}`);
        return false;
      }
      // A spent budget asks for a person (blocked), not a retry: the agent said so, or its charge used the rest.
      const used = budget.spentBefore + (spent.usage?.credits ?? 0);
      if (outcome.kind === "budget" || (kind !== "shell" && budget.limit !== undefined && used >= budget.limit)) {
        return await handOffNow({ outcome: "failed", error: budgetExhaustedReason(token.task, used, budget.limit ?? used), blocked: true, ...spent });
      }
      return await handOffNow({ outcome: "failed", error: outcome.reason, ...spent });
    }
    const resultProblem = await checkedResult(store, token, subtask.result_schema, outcome.result);
    if (resultProblem !== undefined) {
      await keep("result rejected");
      await sendMessage(store, token.task, { kind: "feedback", from: "result check", text: resultProblem }).catch(() => undefined);
      return await handOffNow({ outcome: "failed", error: resultProblem, ...spent });
    }
    const refused = await refusedChanges(worktree, base, subtask, context.config).catch((error: unknown) => `could not list the changed files: ${error instanceof Error ? error.message : String(error)}`);
    if (refused) {
      await keep("refused by the file guard");
      await sendMessage(store, token.task, { kind: "feedback", from: "guard", text: guardFeedback(refused) });
      return await handOffNow({ outcome: "failed", error: `file guard: ${refused}`, ...spent });
    }
    const gate = await reviewGate({ context, subtask, worktree, base, env, signal: agentStop.signal, creditsOf: budget.creditsOf });
    // The reviewer's usage is the subtask's too: it counts toward its budget.
    if (gate.usage) spent.usage = addUsage(spent.usage, gate.usage);
    if (!gate.ok) {
      await keep("review failed");
      return await handOffNow({ outcome: "failed", error: gate.error, ...spent });
    }
    let commit: string;
    try {
      await commitSubmodules(worktree, `${token.task}: submodule changes of attempt ${token.attempt}`, trailers);
      // One line: a name with line breaks must not start a paragraph git would read as the commit's trailers.
      commit = await commitAll(worktree, { message: subjectLine(`${token.task}: ${subtask.name}`), trailers: { ...trailers, ...gate.trailers }, allowEmpty: true });
      markWorktreeClean(worktree);
    } catch (error: unknown) {
      // The work outlives a failed commit (a hook, a signing key, a clean filter): saved on the branch without hooks
      // or signing, else left in the worktree, which is then not reused. The reason gives git's own words.
      const kept = await keep("its commit failed");
      return await handOffNow({ outcome: "failed", error: `commit failed: ${error instanceof Error ? error.message : String(error)}; ${kept}`, ...spent });
    }
    return await handOffNow({ outcome: "succeeded", commit, ...spent }, outcome.result);
  } finally {
    context.stop.removeEventListener("abort", onOuterStop);
    await heartbeats.stop();
  }
}

/** Renews the lease and reads the inbox every heartbeat until stopped; stop() resolves once the last beat is done. */
function startHeartbeats(context: AttemptContext, stopAgent: (reason: StopReason) => void, notesToFile: () => boolean): { stop(): Promise<void> } {
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
        await readInbox(store, token, stopAgent, notesToFile());
      } catch (error: unknown) {
        log(`heartbeat: ${error instanceof Error ? error.message : String(error)}`);
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

/** Where the previous attempt's work and record can be continued from, if anywhere (a failed look is no resume). */
async function resumeFrom(context: AttemptContext, base: string): Promise<ResumePoint | undefined> {
  const { store, token } = context;
  if (token.attempt < 2) return undefined;
  try {
    const task = (await store.progress.read()).tasks[token.task];
    const point = await resumePoint(store.paths.root, token, task, base);
    if (point) context.log(`attempt ${token.attempt} of ${token.task} continues attempt ${point.fromAttempt} from ${point.head.slice(0, 12)}`);
    return point;
  } catch (error: unknown) {
    context.log(`could not tell whether attempt ${token.attempt - 1} of ${token.task} can be continued: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Work that is not handed off is committed on the attempt's branch, so nothing is lost; says where it is. */
async function keepWork(context: AttemptContext, worktree: string, trailers: Record<string, string>, message: string): Promise<string> {
  try {
    const commit = await saveLeftovers(worktree, message, trailers);
    markWorktreeClean(worktree);
    return commit === undefined ? "nothing was left uncommitted" : `the work is kept on branch ${workBranch(context.token)} (commit ${commit.slice(0, 12)})`;
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message : String(error);
    context.log(`could not commit leftover work in ${worktree}: ${why}`);
    markWorktreeUnusable(worktree);
    return `the work could not be saved either (${why}) and is left in ${worktree}, which is not reused`;
  }
}

/** The running agent's process group, for the lead to kill should this worker die. */
async function recordAgentPid(store: CodexStore, token: AttemptToken, pid: number, start: number | null): Promise<void> {
  await store.progress.update((progress) => {
    const me = progress.workers?.[token.worker];
    if (me && me.task === token.task && me.attempt === token.attempt) Object.assign(me, { agent_pid: pid, agent_start: start });
  });
}
