// What happens to a task when an attempt ends badly: retry with exponential backoff and jitter, or fail with every reason.
import type { Config } from "../schema/config.js";
import type { Usage } from "../schema/common.js";
import type { TaskState } from "../schema/progress.js";
import { redactSecrets } from "../util/redact.js";

export interface AttemptEnd {
  attempt: number;
  worker?: string | undefined;
  /** exited, stalled, failed, conflict, interrupted, lost, … */
  outcome: string;
  reason: string;
  now: Date;
  /** What the attempt spent, when known (its hand-off, or the openai agent's call record). */
  usage?: Usage | undefined;
}

/** Backoff before attempt `attempt + 1`: initial × factor^(attempt-1), capped, with 50–100 % jitter. */
export function backoffMs(config: Pick<Config, "backoff">, attempt: number, random: () => number = Math.random): number {
  const { initialMs, maxMs, factor } = config.backoff;
  const raw = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.5 + random() * 0.5));
}

/**
 * Records the failed attempt on the task and decides what comes next. Mutates `task`.
 * Returns "retry" (back to not_started after a backoff) or "failed" (max attempts reached).
 */
export function endAttemptBadly(
  task: TaskState,
  end: AttemptEnd,
  config: Pick<Config, "backoff" | "maxAttempts">,
  options: { random?: () => number; finalStatus?: "failed" | "blocked"; noRetry?: boolean } = {},
): "retry" | "failed" {
  const at = end.now.toISOString();
  end = { ...end, reason: redactSecrets(end.reason) };
  task.attempts = [
    ...(task.attempts ?? []),
    { attempt: end.attempt, worker: end.worker, outcome: end.outcome, reason: end.reason, at, ...(end.usage ? { usage: end.usage } : {}) },
  ];
  task.assignee = null;
  task.updated_at = at;
  delete task.handoff;
  // noRetry: the end asks for a person (a spent budget), whatever attempts are left; its reason says what to do.
  if (options.noRetry || end.attempt >= config.maxAttempts) {
    task.status = options.finalStatus ?? "failed";
    const reasons = task.attempts.map((a) => `attempt ${a.attempt}: ${a.outcome}: ${a.reason}`);
    task.error = reasons.join("; ");
    task.reason = options.noRetry ? end.reason : `${end.outcome} after ${end.attempt} attempt${end.attempt === 1 ? "" : "s"}: ${end.reason}`;
    task.not_before = null;
    return "failed";
  }
  task.status = "not_started";
  task.reason = `retrying after attempt ${end.attempt} ${end.outcome}: ${end.reason}`;
  task.error = end.reason;
  task.not_before = new Date(end.now.getTime() + backoffMs(config, end.attempt, options.random)).toISOString();
  return "retry";
}
