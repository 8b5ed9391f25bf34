// `codex-lead unblock <task>`: a blocked task back to not_started.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { showTransition } from "./_transition.js";

export function registerUnblock(program: Command, ctx: CliContext): void {
  program
    .command("unblock")
    .description("put a blocked task back to not_started")
    .argument("<task>", "subtask id")
    .action(async (task: string) => {
      const { unblockTask } = await import("../../ops/task-commands.js");
      showTransition(ctx, await unblockTask(await ctx.store(), task), "it runs again once its deps are completed (`codex-lead run`)");
    });
}
