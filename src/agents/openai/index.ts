// The built-in `openai` agent (runOpenAIAgent) and the structured model call the planner and reviewer use.
import type { Agent, AgentInput, AgentResult } from "../contract.js";
import { emptyUsage } from "../contract.js";
import { connect } from "./client.js";
import { converse, DEFAULT_MAX_TURNS } from "./loop.js";
import { RecordWriter } from "./record.js";
import { realWorktree } from "./tools/paths.js";

export { structuredCall, type StructuredCallOptions, type StructuredCallResult } from "./structured.js";
export { connect, chooseApi, callModel, DEFAULT_MODEL, type Connection } from "./client.js";
export { ModelCallError, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
export { schemaProblems } from "./schema-check.js";
export { usageOfRecord, readRecord, recordFile, type RecordLine } from "./record.js";
export { TOOL_SPECS } from "./tools/index.js";

const MAX_TIMER_MS = 2_147_483_647;

function configFailure(reason: string): AgentResult {
  return { ok: false, kind: "config", reason, usage: emptyUsage() };
}

/**
 * The built-in agent on the `openai` SDK: any OpenAI-compatible endpoint, Responses or Chat Completions, file,
 * search, patch and command tools confined to the worktree. A missing key or a bad profile fails with kind
 * "config" before any call.
 */
export const runOpenAIAgent: Agent = async (input: AgentInput): Promise<AgentResult> => {
  const { profile } = input;
  if (profile.type !== "openai") return configFailure(`agent profile "${input.profileName}" is of type ${profile.type}, not openai`);
  const made = connect(profile, { ...process.env, ...input.env }, input.profileName);
  if (!made.ok) return configFailure(made.reason);
  let root: string;
  try {
    root = realWorktree(input.worktree);
  } catch {
    return configFailure(`the worktree ${input.worktree} does not exist`);
  }

  // One signal for the model calls and the tools: the worker's cancel, or the attempt's own time limit.
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort();
  if (input.signal.aborted) controller.abort();
  input.signal.addEventListener("abort", onAbort, { once: true });
  const startedAt = performance.now();
  const limited = Number.isFinite(input.timeoutMs) && input.timeoutMs > 0 && input.timeoutMs <= MAX_TIMER_MS;
  const timer = limited
    ? setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, input.timeoutMs)
    : undefined;

  let record: RecordWriter;
  try {
    record = await RecordWriter.open(input.recordDir, input.token.attempt);
  } catch (error: unknown) {
    clearTimeout(timer);
    input.signal.removeEventListener("abort", onAbort);
    return configFailure(`cannot write the call record in ${input.recordDir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return await converse({
      input,
      connection: made.connection,
      record,
      signal: controller.signal,
      timedOut: () => timedOut,
      maxTurns: profile.max_turns ?? DEFAULT_MAX_TURNS,
      tools: {
        root,
        worktree: root,
        env: input.env,
        logFile: input.logFile,
        signal: controller.signal,
        remainingMs: () => (limited ? Math.max(1, input.timeoutMs - (performance.now() - startedAt)) : Number.POSITIVE_INFINITY),
        onSpawn: input.onSpawn,
        resultSchema: input.task.resultSchema,
        reportProgress: input.reportProgress,
      },
    });
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener("abort", onAbort);
    await record.close();
  }
};
