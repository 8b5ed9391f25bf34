// Which task ids exist, for commands that name a task: the plan's (read leniently) and progress.json's.
import { CodexError, ExitCode } from "../errors.js";
import { shapeTaskIds } from "../plan/plan-shape.js";
import type { CodexStore } from "../store/codex-store.js";
import { didYouMean } from "../util/did-you-mean.js";
import { parseJsonText } from "../util/json-text.js";

/**
 * The subtask ids in features.json, in plan order. Read leniently: a person must be able to
 * block or cancel a task while the plan has an unrelated problem, so only the ids are taken.
 */
export async function planTaskIds(store: CodexStore): Promise<string[]> {
  const text = await store.features.readText();
  if (text === null) return [];
  const parsed = parseJsonText(text);
  return parsed.ok ? shapeTaskIds(parsed.value) : [];
}

export function unknownTaskError(id: string, known: Iterable<string>): CodexError {
  const suggestion = didYouMean(id, known);
  return new CodexError("E_UNKNOWN_TASK", `unknown task ${JSON.stringify(id)}`, {
    hint: suggestion === undefined ? "Run `codex-lead status` to see the task ids." : `Did you mean ${JSON.stringify(suggestion)}?`,
    exitCode: ExitCode.usage,
  });
}
