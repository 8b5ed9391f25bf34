// `codex-lead report`: the markdown progress report on stdout.
import type { Command } from "commander";
import { loadPlan } from "../../plan/load-plan.js";
import { renderReport } from "../../report/report-markdown.js";
import type { CliContext } from "../context.js";

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command("report")
    .description("the progress report in markdown: overall %, completed, in progress, remaining, blockers")
    .action(async () => {
      const store = await ctx.store();
      const plan = await loadPlan(store);
      const progress = await store.progress.read();
      ctx.output.data(renderReport(plan, progress));
    });
}
