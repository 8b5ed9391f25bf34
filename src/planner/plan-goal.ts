// `codex-lead plan "<goal>"` as a library call: pick the planner's profile, make the plan, share the budget, and
// either show it (dry run: no file written) or write it into features.json under its lock, never over a plan
// unless told (--append adds, --replace replaces and waits for no run). The planner's usage is recorded.
import { existsSync } from "node:fs";
import path from "node:path";
import { addUsage, creditsFor } from "../agents/contract.js";
import { knownProfileNames, resolveProfile, spendsNothing } from "../agents/profiles.js";
import { structuredAnswer, structuredAnswerProblem } from "../agents/structured-answer.js";
import type { PlannerAnswer } from "./answer.js";
import { CodexError, ExitCode, UsageError } from "../errors.js";
import { acquireLeadLock } from "../lead/lead-lock.js";
import { buildPlan } from "../plan/plan.js";
import { budgetGate, scheduleView, type ScheduleView } from "../plan/schedule-view.js";
import type { Usage } from "../schema/common.js";
import type { Config } from "../schema/config.js";
import type { Feature, FeaturesFile } from "../schema/features.js";
import type { CodexStore } from "../store/codex-store.js";
import { answerProblems, makePlan, PlannerError } from "./make-plan.js";
import { splitBudget } from "./split-budget.js";

export type PlanMode = "new" | "append" | "replace";

/** How long one run of a cli planner may take when its profile sets no timeout. */
const PLANNER_CLI_TIMEOUT_MS = 10 * 60_000;

export interface PlanGoalOptions {
  goal: string;
  constraints?: string | undefined;
  /** Credits shared among the subtasks by effort (see splitBudget). */
  budget?: number | undefined;
  /** The planner's agent profile (an `openai` one); default: config `agent` when it is one, else `openai`. */
  agent?: string | undefined;
  mode: PlanMode;
  dryRun: boolean;
  /** The budget gate: refused (exit 6, nothing written) when the plan's credits exceed it or cannot be bounded. */
  maxCredits?: number | undefined;
  repairs?: number;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface PlanGoalResult {
  /** The whole plan as it is (written) or would be (dry run): existing features first with --append. */
  file: FeaturesFile;
  /** Ids of the subtasks this plan added. */
  added: string[];
  usage: Usage;
  repairs: number;
  profile: string;
  /** Waves, critical path and budgets of the new subtasks. */
  view: ScheduleView;
  /** The budget gate's refusal (then nothing was written), when --max-credits was given and exceeded. */
  over: CodexError | undefined;
  written: boolean;
}

/**
 * The planner's profile: --agent, else config `agent` when it can answer to a schema (an openai profile, or a cli
 * one with output codex or claude), else the built-in `openai`.
 */
function plannerProfile(name: string | undefined, config: Config): string {
  if (name !== undefined) {
    const problem = structuredAnswerProblem(name, config);
    if (problem !== undefined) throw new UsageError(`--agent ${name}: ${problem}`, 'Name an openai profile (e.g. --agent openai) or a cli profile with output codex or claude.');
    return name;
  }
  return structuredAnswerProblem(config.agent, config) === undefined ? config.agent : "openai";
}

function subtaskIds(features: readonly Feature[]): string[] {
  return features.flatMap((feature) => feature.subtasks.map((task) => task.id));
}

/** Refuses what the mode does not allow on the plan as it is now (checked before paying the model, and again under the lock). */
function checkMode(current: FeaturesFile | null, mode: PlanMode, label: string): void {
  const count = current?.features.length ?? 0;
  if (count > 0 && mode === "new") {
    throw new CodexError("E_PLAN_EXISTS", `${label} already has a plan (${count} feature${count === 1 ? "" : "s"}); it is never overwritten`, {
      hint: "Pass --append to add the new features to it, or --replace to replace it.",
      exitCode: ExitCode.usage,
    });
  }
}

export async function planGoal(store: CodexStore, options: PlanGoalOptions): Promise<PlanGoalResult> {
  if (!options.dryRun && !existsSync(store.paths.dir)) throw new UsageError(`${store.paths.dir} does not exist`, "Run `codex-lead init` first (or plan with --dry-run).");
  const config = await store.resolvedConfig();
  const planner = plannerProfile(options.agent, config);
  const current = (await store.features.exists()) ? await store.features.read() : null;
  checkMode(current, options.mode, store.features.label);
  if (options.mode === "replace" && !options.dryRun) await refuseWhileRunning(store);
  const existing = options.mode === "append" ? (current?.features ?? []) : [];
  // Subtasks may name any profile the config knows but shell (it needs a command, which the planner does not write).
  const agents = [...new Set([config.agent, ...knownProfileNames(config)])].filter((name) => name !== "shell" && resolveProfile(name, config).ok);
  if (agents.length === 0) agents.push(planner);
  const creditsOf = (usage: Usage): number => creditsFor(usage, config);
  let made;
  try {
    made = await makePlan({
      goal: options.goal,
      constraints: options.constraints,
      profileName: planner,
      agents,
      existing,
      creditsOf,
      repairs: options.repairs,
      ask: (question) =>
        structuredAnswer<PlannerAnswer>({
          ...question,
          profileName: planner,
          config,
          scratchDir: path.join(store.paths.dir, "agents", "planner"),
          codexDir: store.paths.dir,
          timeoutMs: PLANNER_CLI_TIMEOUT_MS,
          creditsOf,
          ...(options.env && { env: options.env }),
          ...(options.signal && { signal: options.signal }),
        }),
    });
  } catch (error: unknown) {
    if (error instanceof PlannerError && !options.dryRun) await recordUsage(store, planner, error.usage, { written: false, error: error.message });
    throw error;
  }
  const added = subtaskIds(made.features);
  const features = options.budget === undefined ? made.features : withBudgets(made.features, options.budget, added.length);
  const file: FeaturesFile = { ...(options.mode === "replace" ? {} : current ?? {}), features: [...existing, ...features] };
  const view = scheduleView(buildPlan({ features }), config, undefined, (agent) => spendsNothing(agent, config));
  const over = options.maxCredits === undefined ? undefined : budgetGate(view, options.maxCredits);
  const result = { added, usage: made.usage, repairs: made.repairs, profile: planner, view, over };
  if (options.dryRun || over) {
    if (!options.dryRun) await recordUsage(store, planner, made.usage, { written: false, error: over?.message });
    return { ...result, file: { features: file.features }, written: false };
  }
  const written = await writePlan(store, options.mode, features);
  await recordUsage(store, planner, made.usage, { written: true, features: features.length, subtasks: added.length, repairs: made.repairs, mode: options.mode });
  return { ...result, file: written, written: true };
}

function withBudgets(features: Feature[], budget: number, count: number): Feature[] {
  if (budget < count) {
    throw new UsageError(`--budget ${budget} is less than one credit for each of the ${count} planned subtasks; nothing was written`, `Give at least ${count} credits.`);
  }
  const tasks = features.flatMap((feature) => feature.subtasks.map((task) => ({ id: task.id, effort: task.effort ?? 3 })));
  const budgets = splitBudget(budget, tasks);
  return features.map((feature) => ({ ...feature, subtasks: feature.subtasks.map((task) => ({ ...task, budget: budgets.get(task.id) ?? 0 })) }));
}

async function refuseWhileRunning(store: CodexStore): Promise<void> {
  const release = await acquireLeadLock(store, () => undefined);
  await release();
}

/** Writes the new features under features.json's lock, checking the mode and the ids again on what is there now. */
async function writePlan(store: CodexStore, mode: PlanMode, features: Feature[]): Promise<FeaturesFile> {
  await store.features.createIfMissing({ features: [] });
  // --replace holds the lead lock while it writes: no run starts on a plan half replaced.
  const release = mode === "replace" ? await acquireLeadLock(store, () => undefined) : undefined;
  try {
    const result = await store.features.update((draft) => {
      checkMode(draft, mode, store.features.label);
      if (mode === "replace") return { ...(draft.$schema ? { $schema: draft.$schema } : {}), features };
      if (mode === "append") {
        const problems = answerProblems(draft.features, features);
        if (problems.length > 0) throw new CodexError("E_PLAN", `${store.features.label} changed while planning: the new features no longer fit`, { details: problems, exitCode: ExitCode.usage, hint: "Plan again." });
      }
      draft.features = [...draft.features, ...features];
    });
    return result.value;
  } finally {
    await release?.();
  }
}

/** The planner's spending: a `plan.generated` (or `plan.refused`) event and the running total in progress.json. */
async function recordUsage(store: CodexStore, profile: string, usage: Usage, data: Record<string, unknown>): Promise<void> {
  const written = data["written"] === true;
  await store.ensureDirs();
  await store.event({ type: written ? "plan.generated" : "plan.refused", by: "planner", data: { profile, usage, ...data } });
  const at = new Date().toISOString();
  await store.progress.update((progress) => {
    const before = progress.planner;
    progress.planner = { plans: (before?.plans ?? 0) + 1, usage: addUsage(before?.usage, usage), last_profile: profile, last_at: at };
  });
}
