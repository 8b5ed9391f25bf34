// `codex-lead retry <task>`: a failed or blocked task back to not_started.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { showTransition } from "./_transition.js";

export function registerRetry(program: Command, ctx: CliContext): void {
  program
    .command("retry")
    .description("put a failed or blocked task back to not_started for a fresh attempt")
    .argument("<task>", "subtask id")
    .action(async (task: string) => {
      const { retryTask } = await import("../../ops/task-commands.js");
      showTransition(ctx, await retryTask(await ctx.store(), task), "it runs again once its deps are completed (`codex-lead run`)");
    });
}
