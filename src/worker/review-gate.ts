// The review gate of an attempt, after its agent succeeded: the review command (the repository's tests) and then
// the reviewer (`review.agent`). A subtask with `review: false` skips both. A failure goes to the task's inbox as
// feedback from "review"; the reviewer's verdict is recorded in progress.json and events.jsonl either way.
import path from "node:path";
import type { Usage } from "../schema/common.js";
import type { Subtask } from "../schema/features.js";
import { runShellAgent } from "../agents/shell.js";
import { fencedTaskUpdate } from "../ops/fence.js";
import { sendMessage } from "../ops/inbox.js";
import { attemptDiff, reviewAttempt, reviewerOf } from "../reviewer/review-attempt.js";
import { reviewFeedback } from "../reviewer/review-prompt.js";
import type { AttemptContext } from "./attempt-context.js";

export type GateResult =
  | { ok: true; trailers: Record<string, string>; usage: Usage | undefined }
  | { ok: false; error: string; usage: Usage | undefined };

export interface GateRequest {
  context: AttemptContext;
  subtask: Subtask;
  worktree: string;
  base: string;
  env: Record<string, string>;
  signal: AbortSignal;
  creditsOf: (usage: Usage) => number;
}

export async function reviewGate(request: GateRequest): Promise<GateResult> {
  const { context, subtask } = request;
  const { store, token, config } = context;
  if (subtask.review === false) return { ok: true, trailers: {}, usage: undefined };
  let commandOutput: string | undefined;
  if (config.reviewCommand) {
    const review = await runShellAgent({ command: config.reviewCommand, cwd: request.worktree, env: request.env, timeoutMs: config.taskTimeoutMs, signal: request.signal });
    if (!review.ok) {
      await sendMessage(store, token.task, { kind: "feedback", from: "review", text: `review failed: ${review.message}` });
      return { ok: false, error: `review gate failed: ${review.message}`, usage: undefined };
    }
    commandOutput = [review.stdoutTail, review.stderrTail].filter((tail) => tail.trim() !== "").join("\n");
  }
  const reviewer = reviewerOf(subtask, config);
  if (reviewer === undefined) return { ok: true, trailers: {}, usage: undefined };
  const acceptance = typeof subtask.acceptance === "string" ? [subtask.acceptance] : (subtask.acceptance ?? []);
  const outcome = await reviewAttempt({
    profileName: reviewer,
    config,
    task: { id: subtask.id, name: subtask.name, description: subtask.description, acceptance },
    diff: await attemptDiff(request.worktree, request.base),
    commandOutput,
    creditsOf: request.creditsOf,
    scratchDir: path.join(store.paths.dir, "agents", token.task, "review"),
    codexDir: store.paths.dir,
    timeoutMs: config.taskTimeoutMs,
    signal: request.signal,
    idempotencyKey: `review:${token.task}:${token.attempt}`,
  });
  if (!outcome.ok) return { ok: false, error: outcome.reason, usage: outcome.usage };
  const { verdict } = outcome;
  const at = new Date().toISOString();
  await fencedTaskUpdate(store, token, "review verdict", (task) => {
    task.review = { attempt: token.attempt, verdict: verdict.verdict, reasons: verdict.reasons, fixes: verdict.fixes, at };
  });
  await store.event({
    type: "review.verdict",
    task: token.task,
    attempt: token.attempt,
    worker: token.worker,
    by: "review",
    data: { verdict: verdict.verdict, reasons: verdict.reasons, fixes: verdict.fixes, profile: reviewer, usage: outcome.usage },
  });
  if (verdict.verdict === "pass") return { ok: true, trailers: { Review: "pass" }, usage: outcome.usage };
  await sendMessage(store, token.task, { kind: "feedback", from: "review", text: reviewFeedback(verdict) });
  return { ok: false, error: `review: fail: ${verdict.reasons.join("; ") || "no reason given"}`, usage: outcome.usage };
}
