// `codex-lead plan "<goal>"`: the planner turns a goal into features and subtasks, checked like a person's plan;
// --dry-run shows plan, waves, critical path and budgets and writes nothing.
import { Option, type Command } from "commander";
import { UsageError } from "../../errors.js";
import { renderSchedule } from "../../plan/schedule-view.js";
import type { CliContext } from "../context.js";
import { nonNegativeCredits } from "./run-dry.js";

interface PlanOptions {
  constraints?: string;
  budget?: number;
  agent?: string;
  dryRun?: boolean;
  maxCredits?: number;
  append?: boolean;
  replace?: boolean;
  json?: boolean;
}

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command("plan")
    .description("the planner: a goal into features and subtasks with deps, acceptance criteria, files, agent, effort and budgets")
    .argument("<goal>", "what you want done, in words")
    .option("--constraints <text>", "constraints the plan must respect (stack, files not to touch, …)")
    .option("--budget <credits>", "credits shared among the subtasks: half evenly, half by effort", nonNegativeCredits)
    .option("--agent <profile>", "the profile that plans: openai, or cli with output codex/claude (default: config agent if it can, else openai)")
    .option("--dry-run", "print the plan, its waves, critical path and budgets; write nothing")
    .option("--max-credits <n>", "budget gate: exit 6 (nothing written) when the plan's credits exceed n", nonNegativeCredits)
    .addOption(new Option("--append", "add the new features to the plan in features.json").conflicts("replace"))
    .option("--replace", "replace the plan in features.json (refused while a run is going)")
    .option("--json", "machine-readable JSON on stdout")
    .action(async (goal: string, options: PlanOptions) => {
      if (goal.trim() === "") throw new UsageError("the goal is empty", 'Say what you want done: codex-lead plan "Add login with JWT".');
      const store = await ctx.store();
      const { planGoal } = await import("../../planner/plan-goal.js");
      const { renderFeatures } = await import("../../planner/render-plan.js");
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once("SIGINT", onSignal);
      let result;
      try {
        result = await planGoal(store, {
          goal,
          constraints: options.constraints,
          budget: options.budget,
          agent: options.agent,
          mode: options.replace ? "replace" : options.append ? "append" : "new",
          dryRun: options.dryRun === true,
          maxCredits: options.maxCredits,
          signal: controller.signal,
        });
      } finally {
        process.off("SIGINT", onSignal);
      }
      const { view, usage } = result;
      if (options.json) {
        ctx.output.data(`${JSON.stringify({ written: result.written, added: result.added, plan: result.file, waves: view.waves, critical_path: view.criticalPath, planned_credits: view.plannedCredits, unbounded: view.unbounded, planner: { profile: result.profile, repairs: result.repairs, usage } }, null, 2)}\n`);
      } else {
        ctx.output.data(`${renderFeatures(result.file.features, new Set(result.added))}\n${renderSchedule(view)}`);
        ctx.output.say(`planner: agent profile ${result.profile}, ${usage.calls ?? 0} call${usage.calls === 1 ? "" : "s"}, ${usage.credits ?? 0} credits${result.repairs > 0 ? `, ${result.repairs} repair${result.repairs === 1 ? "" : "s"}` : ""}`);
        if (result.written) ctx.output.say(`wrote ${result.added.length} subtasks to ${store.features.label}; next: codex-lead run --dry-run, then codex-lead run`);
        else if (!result.over) ctx.output.say("dry run: nothing written");
      }
      if (result.over) throw result.over;
    });
}
