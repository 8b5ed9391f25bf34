// `codex-lead status [--json]`: counts, running, blocked and failed with reasons, workers.
import type { Command } from "commander";
import { pipelineSummary } from "../../ops/summary.js";
import { loadPlanIfPresent } from "../../plan/load-plan.js";
import { renderStatus, statusJson } from "../../report/status-text.js";
import { keptWork, renderKeptWork } from "../../report/kept-work.js";
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
      // Outside a git repository (or before any run) there are no work branches to name.
      const kept = await keptWork(await ctx.root(), progress).catch(() => []);
      if (options.json) {
        const data = JSON.parse(statusJson(summary)) as Record<string, unknown>;
        ctx.output.data(`${JSON.stringify({ ...data, kept_work: kept }, null, 2)}\n`);
      } else {
        ctx.output.data(renderStatus(summary, { color: ctx.output.dataColor }) + renderKeptWork(kept));
      }
    });
}
