// The people's commands on a task (retry, block, unblock, cancel) and the library form of a progress report.
import { CodexError, ExitCode } from "../errors.js";
import type { TaskStatus } from "../schema/common.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";
import type { CodexStore } from "../store/codex-store.js";
import { staleReason } from "./fence.js";
import { sendMessage } from "./inbox.js";
import { planTaskIds, unknownTaskError } from "./known-tasks.js";

export interface TransitionResult {
  id: string;
  from: TaskStatus;
  to: TaskStatus;
  reason: string | undefined;
  /** The inbox message that tells a running worker to stop (cancel of an in_progress task). */
  cancelMessage?: string;
  /** Set when the task was already in the state asked for ("t1 is already blocked"): nothing changed, no event. */
  already?: string;
}

/** What a command's change says when the task is already where the command would put it. */
interface Already {
  already: string;
}

type Action = "retry" | "block" | "unblock" | "cancel";

function badTransition(id: string, action: Action, state: TaskState, advice: string): CodexError {
  const why = state.reason ? ` (${state.reason})` : "";
  return new CodexError("E_BAD_TRANSITION", `cannot ${action} task ${JSON.stringify(id)}: it is ${state.status}${why}`, {
    hint: advice,
    exitCode: ExitCode.usage,
  });
}

/** The task's entry, created as not_started when the plan has the task but progress.json does not yet. */
function entryOf(draft: ProgressFile, id: string, planIds: ReadonlySet<string>): TaskState {
  const existing = draft.tasks[id];
  if (existing) return existing;
  if (!planIds.has(id)) throw unknownTaskError(id, [...planIds, ...Object.keys(draft.tasks)]);
  const created: TaskState = { status: "not_started" };
  draft.tasks[id] = created;
  return created;
}

function describeState(state: TaskState): string {
  return `${state.status}${state.reason ? ` (${state.reason})` : ""}`;
}

/** Back to not_started for a fresh attempt: the attempt counter and history stay, so old tokens stay stale. */
export function resetForRetry(state: TaskState, now: string): void {
  state.status = "not_started";
  state.assignee = null;
  state.started_at = null;
  state.completed_at = null;
  state.not_before = null;
  state.updated_at = now;
  delete state.reason;
  delete state.error;
  delete state.percent;
  delete state.detail;
  // A hand-off left by the old attempt must not be taken for the next one's.
  delete state.handoff;
}

/**
 * One locked change of one task's entry plus its audit event. `change` validates the current
 * state (throwing E_BAD_TRANSITION) and applies the new one, or says the task is already there
 * (then nothing is written: the draft is left as it was read); it may run again on top of a
 * person's concurrent save, so it derives everything from the draft it is given.
 */
async function transition(
  store: CodexStore,
  id: string,
  action: Action,
  change: (state: TaskState, now: string) => string | undefined | Already,
): Promise<TransitionResult & { previous: TaskState }> {
  const planIds = new Set(await planTaskIds(store));
  let result: (TransitionResult & { previous: TaskState }) | undefined;
  await store.progress.update((draft) => {
    const existed = draft.tasks[id] !== undefined;
    const state = entryOf(draft, id, planIds);
    const previous = structuredClone(state);
    const outcome = change(state, new Date().toISOString());
    if (typeof outcome === "object") {
      // An entry made only to look at the task is not written either.
      if (!existed) delete draft.tasks[id];
      result = { id, from: previous.status, to: previous.status, reason: previous.reason, already: outcome.already, previous };
      return;
    }
    result = { id, from: previous.status, to: state.status, reason: outcome, previous };
  });
  if (!result) throw new CodexError("E_INTERNAL", `${action} of ${id} did not run`, { exitCode: ExitCode.internal });
  if (result.already !== undefined) return result;
  await store.event({ type: "task.status", task: id, from: result.from, to: result.to, reason: result.reason, by: "person", data: { command: action } });
  return result;
}

function strip(result: TransitionResult & { previous: TaskState }): TransitionResult {
  const { previous: _previous, already, ...rest } = result;
  return already === undefined ? rest : { ...rest, already };
}

/**
 * failed or blocked -> not_started (also: a not_started task waiting out its retry backoff starts without waiting).
 * A not_started task with no backoff already waits to run: nothing to do.
 */
export async function retryTask(store: CodexStore, id: string): Promise<TransitionResult> {
  return strip(
    await transition(store, id, "retry", (state, now) => {
      const waitingBackoff = state.status === "not_started" && state.not_before !== null && state.not_before !== undefined;
      if (state.status === "not_started" && !waitingBackoff) return { already: `${id} is already ${describeState(state)}: it runs once its deps are completed` };
      if (state.status !== "failed" && state.status !== "blocked" && !waitingBackoff) {
        throw badTransition(id, "retry", state, adviceFor(id, state.status));
      }
      resetForRetry(state, now);
      return "retried by a person";
    }),
  );
}

/**
 * not_started, failed or in_progress -> blocked with a reason; the scheduler leaves it alone until unblocked.
 * A running task is stopped the way `cancel` stops it (its work stays on its branch), as the same edit by
 * hand would do.
 */
export async function blockTask(store: CodexStore, id: string, reason = "blocked by a person"): Promise<TransitionResult> {
  return stopIntoBlocked(store, id, "block", reason, ["not_started", "failed", "in_progress"]);
}

/**
 * blocked -> not_started; runs again once its deps are completed. A task that is not blocked and not failed
 * is already free to run (or has run): nothing to do. A failed one runs again only through retry.
 */
export async function unblockTask(store: CodexStore, id: string): Promise<TransitionResult> {
  return strip(
    await transition(store, id, "unblock", (state, now) => {
      if (state.status === "failed") throw badTransition(id, "unblock", state, adviceFor(id, state.status));
      if (state.status !== "blocked") return { already: `${id} is not blocked: it is ${describeState(state)}` };
      resetForRetry(state, now);
      return "unblocked by a person";
    }),
  );
}

/**
 * not_started or in_progress -> blocked ("cancelled by a person"). A running attempt is ended in
 * the history and its worker is told to stop by a `cancel` inbox message for that attempt; the
 * attempt number stays, so anything the stopped worker still reports is refused as stale.
 */
export async function cancelTask(store: CodexStore, id: string, reason = "cancelled by a person"): Promise<TransitionResult> {
  return stopIntoBlocked(store, id, "cancel", reason, ["not_started", "in_progress"]);
}

async function stopIntoBlocked(
  store: CodexStore,
  id: string,
  action: "block" | "cancel",
  reason: string,
  allowed: readonly TaskStatus[],
): Promise<TransitionResult> {
  const result = await transition(store, id, action, (state, now) => {
    // Blocked (by a person, or cancelled) is where both commands put a task: nothing to do.
    if (state.status === "blocked") return { already: `${id} is already ${describeState(state)}` };
    if (!allowed.includes(state.status)) throw badTransition(id, action, state, adviceFor(id, state.status, action));
    if (state.status === "in_progress" && state.attempt !== undefined && state.attempt > 0) {
      const record = { attempt: state.attempt, outcome: action === "cancel" ? "cancelled" : "blocked", reason, at: now, ...(state.assignee ? { worker: state.assignee } : {}) };
      state.attempts = [...(state.attempts ?? []), record];
    }
    state.status = "blocked";
    state.reason = reason;
    state.assignee = null;
    state.updated_at = now;
    return reason;
  });
  if (result.already !== undefined || result.previous.status !== "in_progress") return strip(result);
  // After the progress lock is released (one lock at a time): the worker stops when it reads this.
  const message = await sendMessage(store, id, {
    kind: "cancel",
    text: reason,
    from: "person",
    ...(result.previous.attempt === undefined ? {} : { attempt: result.previous.attempt }),
    ...(result.previous.assignee ? { worker: result.previous.assignee } : {}),
  });
  return { ...strip(result), cancelMessage: message.id };
}

function adviceFor(id: string, status: TaskStatus, action?: Action): string {
  if (action === "cancel" && status === "failed") {
    return `It is not running, and runs again only after \`codex-lead retry ${id}\`; to keep it from that, run \`codex-lead block ${id}\`.`;
  }
  switch (status) {
    case "completed":
      return `It is done; to redo it, run \`codex-lead rollback ${id}\`.`;
    case "in_progress":
      return `It is running; run \`codex-lead cancel ${id}\` to stop it first.`;
    case "blocked":
      return `Run \`codex-lead unblock ${id}\` to let it run again.`;
    case "failed":
      return `Run \`codex-lead retry ${id}\` to run it again.`;
    case "not_started":
      return "It is waiting to run; it starts once its deps are completed.";
  }
}

export interface ProgressReport {
  percent?: number;
  detail?: string;
  result?: unknown;
  /** The fencing token: when given, the report counts only for this attempt. */
  attempt?: number;
  /** When given, the report counts only if this worker is the assignee. */
  worker?: string;
}

/**
 * A progress report on a running task (renews its lease: updated_at, and the worker's entry).
 * Refused with E_STALE_TOKEN when the task is not in_progress, or when `attempt`/`worker` do not
 * match the current attempt and assignee — a worker that woke up late cannot overwrite its successor.
 */
export async function updateTaskProgress(store: CodexStore, id: string, report: ProgressReport): Promise<TaskState> {
  const planIds = new Set(await planTaskIds(store));
  let updated: TaskState | undefined;
  try {
    await store.progress.update((draft) => {
      const state = entryOf(draft, id, planIds);
      const stale = staleReason(state, { task: id, attempt: report.attempt, worker: report.worker });
      if (stale !== undefined) {
        throw new CodexError("E_STALE_TOKEN", `progress report for task ${JSON.stringify(id)} refused: ${stale}`, {
          hint: "This attempt is over; stop working on the task.",
          exitCode: ExitCode.usage,
        });
      }
      const now = new Date().toISOString();
      if (report.percent !== undefined) state.percent = report.percent;
      if (report.detail !== undefined) state.detail = report.detail;
      if (report.result !== undefined) state.result = report.result;
      state.updated_at = now;
      const worker = report.worker === undefined ? undefined : draft.workers?.[report.worker];
      if (worker) worker.updated_at = now;
      updated = structuredClone(state);
    });
  } catch (error: unknown) {
    if (error instanceof CodexError && error.code === "E_STALE_TOKEN") {
      await store.event({ type: "stale_token_refused", task: id, attempt: report.attempt, worker: report.worker, reason: error.message });
    }
    throw error;
  }
  if (!updated) throw new CodexError("E_INTERNAL", `progress report for ${id} did not run`, { exitCode: ExitCode.internal });
  return updated;
}

