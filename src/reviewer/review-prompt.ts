// What the reviewer model is given: the subtask, its acceptance criteria, the review command's output and the
// attempt's diff against its base; and the verdict it must answer with.

export interface ReviewVerdict {
  verdict: "pass" | "fail";
  reasons: string[];
  fixes: string[];
}

export const REVIEW_SCHEMA: Record<string, unknown> = {
  type: "object",
  properties: {
    verdict: { type: "string", enum: ["pass", "fail"] },
    reasons: { type: "array", items: { type: "string" }, description: "why: what is missing or wrong (fail), or what convinced you (pass)" },
    fixes: { type: "array", items: { type: "string" }, description: "concrete changes that would make it pass (fail)" },
  },
  required: ["verdict", "reasons", "fixes"],
  additionalProperties: false,
};

export const REVIEW_SYSTEM = [
  "You review one attempt of a coding agent at a subtask, before it is merged.",
  "Judge the diff against the subtask's description and acceptance criteria. Pass it when every criterion is met",
  "and the change does what the description asks without breaking what is there; fail it otherwise.",
  "On fail, give the reasons and concrete fixes the next attempt can act on. Answer with the JSON value only.",
].join("\n");

/** Diffs past this size are cut (the reviewer is told so). */
export const MAX_DIFF_CHARS = 60_000;

export interface ReviewInput {
  task: { id: string; name: string; description?: string | undefined; acceptance: string[] };
  diff: string;
  /** The review command's output tail, when a review command ran. */
  commandOutput?: string | undefined;
}

export function reviewUserPrompt(input: ReviewInput): string {
  const { task } = input;
  const parts = [`Subtask ${task.id}: ${task.name}`];
  if (task.description) parts.push(`Description:\n${task.description}`);
  parts.push(`Acceptance criteria:\n${task.acceptance.length > 0 ? task.acceptance.map((c) => `- ${c}`).join("\n") : "(none given: judge by the description)"}`);
  if (input.commandOutput !== undefined) parts.push(`The review command passed. Its output (tail):\n${input.commandOutput || "(no output)"}`);
  const cut = input.diff.length > MAX_DIFF_CHARS;
  const diff = cut ? `${input.diff.slice(0, MAX_DIFF_CHARS)}\n[… diff cut at ${MAX_DIFF_CHARS} characters of ${input.diff.length}]` : input.diff;
  parts.push(`The attempt's diff against its base:\n${diff || "(no changes)"}`);
  return parts.join("\n\n");
}

/** The feedback the next attempt gets from a failed review. */
export function reviewFeedback(verdict: ReviewVerdict): string {
  const lines = ["The reviewer failed this attempt."];
  if (verdict.reasons.length > 0) lines.push("Reasons:", ...verdict.reasons.map((r) => `- ${r}`));
  if (verdict.fixes.length > 0) lines.push("Fixes:", ...verdict.fixes.map((f) => `- ${f}`));
  return lines.join("\n");
}
