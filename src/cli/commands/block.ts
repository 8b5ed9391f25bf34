// `codex-lead block <task> [--reason]`: keep a task from being scheduled until unblocked.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { showTransition } from "./_transition.js";

export function registerBlock(program: Command, ctx: CliContext): void {
  program
    .command("block")
    .description("keep a task from running until `codex-lead unblock`; a running attempt is stopped")
    .argument("<task>", "subtask id")
    .option("--reason <text>", "why; shown by status and report")
    .action(async (task: string, options: { reason?: string }) => {
      const { blockTask } = await import("../../ops/task-commands.js");
      const result = await blockTask(await ctx.store(), task, options.reason);
      showTransition(ctx, result, `run \`codex-lead unblock ${task}\` to let it run again`);
    });
}
