// `codex-lead status [--json]`: counts, running, blocked and failed with reasons, workers.
import type { Command } from "commander";
import { pipelineSummary } from "../../ops/summary.js";
import { loadPlanIfPresent } from "../../plan/load-plan.js";
import { renderStatus, statusJson } from "../../report/status-text.js";
import type { CliContext } from "../context.js";

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("where things stand: counts by status, what runs, what is blocked or failed and why, workers")
    .option("--json", "machine-readable JSON on stdout")
    .action(async (options: { json?: boolean }) => {
      const store = await ctx.store();
      const plan = await loadPlanIfPresent(store);
      const progress = await store.progress.read();
      const summary = pipelineSummary(plan, progress);
      if (options.json) {
        ctx.output.data(statusJson(summary));
      } else {
        ctx.output.data(renderStatus(summary, { color: ctx.output.dataColor }));
      }
    });
}
