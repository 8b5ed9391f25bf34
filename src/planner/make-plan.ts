// The planner's conversation with the model: ask for a plan, check it with the same checks as a person's plan
// (plus id clashes with the plan it is appended to), and send the problems back for a bounded number of repairs.
import { addUsage, emptyUsage } from "../agents/contract.js";
import { ModelCallError } from "../agents/openai/retry.js";
import type { StructuredCallResult } from "../agents/openai/structured.js";
import { CodexError, ExitCode } from "../errors.js";
import { checkPlan, formatPlanProblems } from "../plan/check-plan.js";
import type { Usage } from "../schema/common.js";
import type { Feature } from "../schema/features.js";
import { answerSchema, featuresOfAnswer, type PlannerAnswer } from "./answer.js";
import { PLANNER_SYSTEM, plannerUserPrompt } from "./planner-prompt.js";

/** Repairs after the first answer when `repairs` is not given. */
export const DEFAULT_PLAN_REPAIRS = 2;

export interface MakePlanOptions {
  goal: string;
  constraints?: string | undefined;
  profileName: string;
  /** One structured call to the planner's profile (structuredAnswer). */
  ask: (question: { system: string; user: string; schema: Record<string, unknown>; schemaName: string }) => Promise<StructuredCallResult<PlannerAnswer>>;
  /** Profile names subtasks may use, the default first. */
  agents: readonly string[];
  /** Features already in features.json that the new ones are added to (--append); empty otherwise. */
  existing: readonly Feature[];
  repairs?: number;
  creditsOf: (usage: Usage) => number;
}

export interface MadePlan {
  features: Feature[];
  usage: Usage;
  /** Plan repairs the model was asked for (0 when its first plan passed). */
  repairs: number;
}

/** The planner could not make a valid plan, or could not reach the model; `usage` says what it spent. */
export class PlannerError extends CodexError {
  readonly usage: Usage;
  constructor(message: string, usage: Usage, options: { details?: string[]; hint: string; exitCode: number; cause?: unknown }) {
    super("E_PLANNER", message, { ...options, exitCode: options.exitCode as (typeof ExitCode)[keyof typeof ExitCode] });
    this.name = "PlannerError";
    this.usage = usage;
  }
}

/**
 * The problems of the answer's features on top of `existing`, with places in the answer's own terms
 * (`features[0]` is the answer's first feature, not features.json's).
 */
export function answerProblems(existing: readonly Feature[], features: Feature[]): string[] {
  const offset = existing.length;
  return formatPlanProblems(checkPlan({ features: [...existing, ...features] })).map((line) =>
    line.replace(/^features\[(\d+)\]/, (whole, index: string) => (Number(index) >= offset ? `features[${Number(index) - offset}]` : `features.json ${whole}`)),
  );
}

export async function makePlan(options: MakePlanOptions): Promise<MadePlan> {
  const schema = answerSchema(options.agents);
  const existingIds = options.existing.flatMap((feature) => feature.subtasks.map((task) => task.id));
  const repairs = options.repairs ?? DEFAULT_PLAN_REPAIRS;
  let usage = emptyUsage();
  let repair: { answer: string; problems: string[] } | undefined;
  for (let round = 0; round <= repairs; round++) {
    let answer;
    try {
      answer = await options.ask({
        system: PLANNER_SYSTEM,
        user: plannerUserPrompt({ goal: options.goal, constraints: options.constraints, agents: options.agents, existingIds, repair }),
        schema,
        schemaName: "plan",
      });
    } catch (error: unknown) {
      if (!(error instanceof ModelCallError)) throw error;
      usage = sum(usage, error.usage, options.creditsOf);
      throw new PlannerError(`the planner (agent profile ${options.profileName}) got no plan: ${error.message}`, usage, {
        hint: error.kind === "config" ? `Fix agent profile ${options.profileName} (config.json "agents") or pass --agent.` : "Try again; nothing was written.",
        exitCode: error.kind === "config" ? ExitCode.usage : ExitCode.failed,
        cause: error,
      });
    }
    usage = sum(usage, answer.usage, options.creditsOf);
    const features = featuresOfAnswer(answer.value);
    const problems = answerProblems(options.existing, features);
    if (problems.length === 0) return { features, usage, repairs: round };
    repair = { answer: answer.text, problems };
  }
  const problems = repair?.problems ?? [];
  throw new PlannerError(`the planner's plan still has ${problems.length} problem${problems.length === 1 ? "" : "s"} after ${repairs} repair${repairs === 1 ? "" : "s"}; nothing was written`, usage, {
    details: problems,
    hint: "Try again with a more precise goal or --constraints, or write the plan by hand (codex-lead edit features).",
    exitCode: ExitCode.usage,
  });
}

function sum(total: Usage, more: Usage | undefined, creditsOf: (usage: Usage) => number): Usage {
  const added = addUsage(total, more);
  return { ...added, credits: creditsOf(added) };
}
