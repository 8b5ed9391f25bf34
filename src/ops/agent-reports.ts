// What an agent reports while it works (`codex-worker report`/`result`, the openai agent's report_progress):
// fenced by its attempt token, so a late report of an attempt that is no longer current changes nothing.
import type { CodexStore } from "../store/codex-store.js";
import { fencedTaskUpdate, type AttemptToken, type FenceResult } from "./fence.js";

/** Progress and detail; renews the worker's lease like a heartbeat. */
export function reportTaskProgress(store: CodexStore, token: AttemptToken, percent: number | undefined, detail: string | undefined): Promise<FenceResult> {
  return fencedTaskUpdate(store, token, "report", (task, progress) => {
    const now = new Date().toISOString();
    if (percent !== undefined) task.percent = percent;
    if (detail !== undefined) task.detail = detail;
    task.updated_at = now;
    const me = progress.workers?.[token.worker];
    if (me) me.updated_at = now;
  });
}

/** The structured result; the worker checks it against the subtask's result_schema when the agent ends. */
export function recordTaskResult(store: CodexStore, token: AttemptToken, value: unknown): Promise<FenceResult> {
  return fencedTaskUpdate(store, token, "result", (task, progress) => {
    const now = new Date().toISOString();
    task.result = value;
    task.updated_at = now;
    const me = progress.workers?.[token.worker];
    if (me) me.updated_at = now;
  });
}
