// The readable mirror of progress in features.json (status fields a person sees beside each subtask).
import { performance } from "node:perf_hooks";
import { CodexError } from "../errors.js";
import { rememberCheckedPlan } from "../plan/plan-cache.js";
import { refreshMirror } from "../report/mirror.js";
import type { ProgressFile } from "../schema/progress.js";
import { canonicalJson } from "../util/json-text.js";
import type { LeadContext } from "./lead-context.js";
import { withoutMirror } from "./run-summary.js";

/**
 * Rewritten only when some status changed, and not more often than every second (every 10 s for very
 * large plans: rewriting megabytes each second would cost more than the work).
 */
export async function writeMirror(ctx: LeadContext, progress: ProgressFile, force: boolean): Promise<void> {
  const plan = ctx.plan;
  if (!plan) return;
  const now = performance.now();
  const interval = plan.tasks.length > 2000 ? 10_000 : 1000;
  if (!force && now - ctx.lastMirror < interval) return;
  const signature = plan.tasks.map((task) => progress.tasks[task.id]?.status ?? "not_started").join(",");
  if (signature === ctx.mirrorSignature) return;
  ctx.lastMirror = now;
  const planShape = withoutMirror(plan.file);
  let planUnchanged = false;
  try {
    const { value } = await ctx.store.features.update((features) => {
      planUnchanged = withoutMirror(features) === planShape;
      return refreshMirror(features, progress);
    }, { trusted: true });
    ctx.mirrorSignature = signature;
    // Our rewrite changed only mirror fields: the plan need not be checked again. A person's edit that landed
    // meanwhile (re-applied under our write) leaves planUnchanged false, so it is checked on the next tick.
    if (planUnchanged) {
      ctx.planText = canonicalJson(value);
      rememberCheckedPlan(ctx.store, ctx.planText);
    }
  } catch (error: unknown) {
    if (!(error instanceof CodexError)) throw error;
  }
}
