// `codex-lead rollback <task> [--cascade] [--dry-run]`: revert a checkpoint with a new commit and put the task back to not_started.
import type { Command } from "commander";
import type { CliContext } from "../context.js";

export function registerRollback(program: Command, ctx: CliContext): void {
  program
    .command("rollback")
    .description("revert a completed subtask on the integration branch (a new commit) and put it back to not_started")
    .argument("<task>", "subtask id")
    .option("--cascade", "also roll back the subtasks built on it, newest first")
    .option("--dry-run", "print what would be reverted and reset, change nothing")
    .option("--json", "the result as JSON on stdout")
    .action(async (task: string, options: { cascade?: boolean; dryRun?: boolean; json?: boolean }) => {
      // Loaded only when this command runs: the git layer is not needed by status and friends.
      const { openCheckpointRepo, renderRollback, rollbackTask } = await import("../../checkpoints/index.js");
      const repo = await openCheckpointRepo(await ctx.root(), await ctx.store());
      const result = await rollbackTask(repo, task, { cascade: options.cascade ?? false, dryRun: options.dryRun ?? false });
      ctx.output.data(options.json ? JSON.stringify(result, null, 2) : renderRollback(result));
      if (!options.dryRun) ctx.output.say("the reset subtasks run again with `codex-lead run` (a running lead picks them up by itself)");
    });
}
