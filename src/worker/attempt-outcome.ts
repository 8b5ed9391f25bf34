// What an attempt's end records besides its outcome: the agent's spending and final message for the hand-off,
// and whether its structured result may stand.
import { addUsage, type AgentResult } from "../agents/contract.js";
import { schemaProblems } from "../agents/openai/schema-check.js";
import type { Usage } from "../schema/common.js";
import type { CodexStore } from "../store/codex-store.js";
import type { AttemptToken } from "../ops/fence.js";
import { cutFinalMessage } from "./agent-input.js";

/** What the hand-off records of an attempt's spending: usage (credits filled in by the config's rates) and final message. */
export function spending(outcome: AgentResult, creditsOf: (usage: Usage) => number): { usage?: Usage; final_message?: string } {
  const spent: { usage?: Usage; final_message?: string } = {};
  const usage = addUsage(outcome.usage, undefined);
  const tokens = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
  if (tokens > 0 && !usage.credits) usage.credits = creditsOf(usage);
  // A shell command spends nothing: its hand-offs stay as they were, without a usage of zeros.
  if (tokens > 0 || (usage.calls ?? 0) > 0 || usage.cost_usd !== undefined) spent.usage = usage;
  const message = cutFinalMessage(outcome.finalMessage);
  if (message !== undefined) spent.final_message = message;
  return spent;
}

/**
 * Why the attempt's structured result is refused, or undefined when it is fine: with a `result_schema`, the
 * result (the agent's, else the one `codex-worker result` recorded during this attempt) must be there and match.
 */
export async function checkedResult(store: CodexStore, token: AttemptToken, schema: Record<string, unknown> | undefined, given: unknown): Promise<string | undefined> {
  if (schema === undefined) return undefined;
  // The lead clears task.result at each assignment, so a result found now was recorded by this attempt.
  const result = given !== undefined ? given : (await store.progress.read()).tasks[token.task]?.result;
  if (result === undefined) {
    return "no result reported: the subtask has a result_schema; record the result with `codex-worker result '<json>'`";
  }
  try {
    const problems = schemaProblems(schema, result);
    return problems === undefined ? undefined : `the result does not match the subtask's result_schema: ${problems}`;
  } catch (error: unknown) {
    return `the result could not be checked: result_schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`;
  }
}
