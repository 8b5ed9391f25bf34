// `codex-lead run --dry-run [--max-credits N] [--json]`: what the run would do, in which order, with which agent and
// budget; nothing is started, locked or written. With --max-credits, the budget gate (exit 6 when over).
import { InvalidArgumentError } from "commander";
import { loadPlan } from "../../plan/load-plan.js";
import { budgetGate, renderSchedule, scheduleView } from "../../plan/schedule-view.js";
import { spendsNothing } from "../../agents/profiles.js";
import type { CliContext } from "../context.js";

export function nonNegativeCredits(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of credits, 0 or more.");
  return n;
}

export async function dryRun(ctx: CliContext, options: { maxCredits?: number; json?: boolean }): Promise<void> {
  const store = await ctx.store();
  const [plan, config, progress] = await Promise.all([loadPlan(store), store.resolvedConfig(), store.progress.read()]);
  const view = scheduleView(plan, config, progress, (agent) => spendsNothing(agent, config));
  ctx.output.data(options.json ? `${JSON.stringify({ dry_run: true, max_credits: options.maxCredits ?? null, ...view }, null, 2)}\n` : `Dry run: nothing is started or changed.\n${renderSchedule(view)}`);
  if (options.maxCredits === undefined) return;
  const over = budgetGate(view, options.maxCredits);
  if (over) throw over;
  if (!options.json) ctx.output.say(`budget gate passed: planned ${view.plannedCredits} of at most ${options.maxCredits} credits`);
}
