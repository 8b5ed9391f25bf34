// Reads .codex/features.json and returns the checked plan, or throws with every problem at once.
import { CodexError, PlanError } from "../errors.js";
import type { FeaturesFile } from "../schema/features.js";
import { checkedPlanFromText } from "./plan-cache.js";
import type { CodexStore } from "../store/codex-store.js";
import { isStackOverflow, parseJsonText, TOO_DEEP } from "../util/json-text.js";
import { buildPlan, type Plan, type PlanTask } from "./plan.js";

export type { Plan, PlanTask };

/**
 * The plan, validated. Throws InvalidFileError for a JSON syntax error (with line and column),
 * PlanError listing every problem (schema, ids, deps, cycles) otherwise, and E_MISSING_FILE
 * when there is no features.json.
 */
export async function loadPlan(store: CodexStore): Promise<Plan> {
  const plan = await loadPlanIfPresent(store);
  if (plan === null) {
    throw new CodexError("E_MISSING_FILE", `${store.features.label} does not exist`, {
      hint: 'Run `codex-lead init`, then write the plan or run `codex-lead plan "<goal>"`.',
    });
  }
  return plan;
}

/**
 * The plan of features.json's text as the caller already read it (null: the file is missing, which throws as in
 * loadPlan). A caller that keeps the text can skip this while the text is unchanged.
 */
export async function planOfText(store: CodexStore, text: string | null): Promise<Plan> {
  if (text === null) return loadPlan(store);
  // A large unchanged plan is not checked again (by content hash): status stays fast on 10,000 subtasks.
  return checkedPlanFromText(store, text, planFromText);
}

/** Like loadPlan, but null when features.json does not exist yet (e.g. status before any plan). */
export async function loadPlanIfPresent(store: CodexStore): Promise<Plan | null> {
  const text = await store.features.readText();
  return text === null ? null : planOfText(store, text);
}

/** Checks the text of features.json as loadPlan does, e.g. a person's edit before it is saved. */
export async function planFromText(store: CodexStore, text: string): Promise<Plan> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    // The store's own parser words syntax errors (line, column, fix hint) the same way for every file.
    store.features.parseJson(text);
    throw new CodexError("E_INVALID_FILE", `${store.features.label} is not valid JSON`);
  }
  // Loaded here, not at the top: the checks need zod, and an unchanged plan (plan-cache) skips them.
  const { checkPlan, formatPlanProblems } = await import("./check-plan.js");
  try {
    const problems = checkPlan(parsed.value);
    if (problems.length > 0) throw new PlanError(store.features.label, formatPlanProblems(problems));
    return buildPlan(parsed.value as FeaturesFile);
  } catch (error: unknown) {
    if (isStackOverflow(error)) throw new PlanError(store.features.label, [TOO_DEEP]);
    throw error;
  }
}
