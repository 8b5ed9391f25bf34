// The reviewer gate: after the agent ended and the review command passed, an agent profile reads the attempt's
// diff against its base and answers pass or fail with reasons and fixes (a structured answer).
import { ModelCallError } from "../agents/openai/retry.js";
import { structuredAnswer } from "../agents/structured-answer.js";
import { runGit } from "../git/run-git.js";
import { assertGitArg } from "../git/index.js";
import type { Usage } from "../schema/common.js";
import type { Config } from "../schema/config.js";
import type { Subtask } from "../schema/features.js";
import { REVIEW_SCHEMA, REVIEW_SYSTEM, reviewUserPrompt, type ReviewVerdict } from "./review-prompt.js";

export type ReviewOutcome =
  | { ok: true; verdict: ReviewVerdict; usage: Usage; profile: string }
  /** The reviewer could not give a verdict (bad profile, model unreachable): the attempt fails with this reason. */
  | { ok: false; reason: string; usage: Usage | undefined; profile: string };

/** The reviewer's profile name when the attempt is to be reviewed: `review.agent` is set and the subtask has not `review: false`. */
export function reviewerOf(subtask: Pick<Subtask, "review">, config: Pick<Config, "reviewAgent">): string | undefined {
  return subtask.review === false ? undefined : config.reviewAgent;
}

/** The worktree's changes against `base`, new files included (they are staged for the commit that follows anyway). */
export async function attemptDiff(worktree: string, base: string): Promise<string> {
  assertGitArg(base, "base");
  await runGit(worktree, ["add", "-A"]);
  return (await runGit(worktree, ["diff", "--cached", "--no-color", "--no-ext-diff", base, "--"])).stdout;
}

export interface ReviewRequest {
  profileName: string;
  config: Config;
  task: { id: string; name: string; description?: string | undefined; acceptance: string[] };
  diff: string;
  commandOutput?: string | undefined;
  creditsOf: (usage: Usage) => number;
  /** Where a cli reviewer runs (ours, not the worktree: it only reads the diff it is given), and the .codex folder. */
  scratchDir: string;
  codexDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  idempotencyKey?: string;
}

export async function reviewAttempt(request: ReviewRequest): Promise<ReviewOutcome> {
  const profile = request.profileName;
  try {
    const answer = await structuredAnswer<ReviewVerdict>({
      profileName: profile,
      config: request.config,
      system: REVIEW_SYSTEM,
      user: reviewUserPrompt(request),
      schema: REVIEW_SCHEMA,
      schemaName: "review",
      scratchDir: request.scratchDir,
      codexDir: request.codexDir,
      timeoutMs: request.timeoutMs,
      creditsOf: request.creditsOf,
      ...(request.signal && { signal: request.signal }),
      ...(request.idempotencyKey && { idempotencyKey: request.idempotencyKey }),
    });
    return { ok: true, verdict: answer.value, usage: answer.usage, profile };
  } catch (error: unknown) {
    if (!(error instanceof ModelCallError)) throw error;
    const reason = error.kind === "config" ? `review.agent: ${error.message}` : `the reviewer (agent profile ${profile}) gave no verdict: ${error.message}`;
    return { ok: false, reason, usage: error.usage, profile };
  }
}
