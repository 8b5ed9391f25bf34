// `codex-lead report`: the markdown progress report on stdout.
import type { Command } from "commander";
import { loadMetrics } from "../../metrics/load-metrics.js";
import { renderMetricsSection } from "../../metrics/render-metrics.js";
import { loadPlan } from "../../plan/load-plan.js";
import { renderReport } from "../../report/report-markdown.js";
import { visible } from "../../util/terminal-text.js";
import type { CliContext } from "../context.js";

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command("report")
    .description("the progress report in markdown: overall %, completed, in progress, remaining, blockers, metrics")
    .action(async () => {
      const store = await ctx.store();
      const plan = await loadPlan(store);
      const [progress, metrics] = await Promise.all([store.progress.read(), loadMetrics(store)]);
      // Profile names and reasons come from files: no escape sequence reaches the terminal.
      ctx.output.data(`${renderReport(plan, progress)}\n${visible(renderMetricsSection(metrics), { multiline: true })}`);
    });
}
