// `codex-lead cancel <task> [--reason]`: stop a task (its worker is told to stop) and leave it blocked.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { showTransition } from "./_transition.js";

export function registerCancel(program: Command, ctx: CliContext): void {
  program
    .command("cancel")
    .description("stop a not_started or in_progress task; it is left blocked, its worker told to stop")
    .argument("<task>", "subtask id")
    .option("--reason <text>", "why; shown by status and report")
    .action(async (task: string, options: { reason?: string }) => {
      const { cancelTask } = await import("../../ops/task-commands.js");
      const result = await cancelTask(await ctx.store(), task, options.reason);
      showTransition(ctx, result, `run \`codex-lead retry ${task}\` to run it again`);
    });
}
