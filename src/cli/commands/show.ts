// `codex-lead show <task>`: the checkpoint commit of a completed subtask — message, trailers and diff.
import type { Command } from "commander";
import type { CliContext } from "../context.js";

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command("show")
    .description("a completed subtask's checkpoint: its commit message, trailers and diff")
    .argument("<task>", "subtask id")
    .action(async (task: string) => {
      // Loaded only when this command runs: the git layer is not needed by status and friends.
      const { openCheckpointRepo, showCheckpoint } = await import("../../checkpoints/index.js");
      const repo = await openCheckpointRepo(await ctx.root());
      ctx.output.data(await showCheckpoint(repo, task, { color: ctx.output.dataColor }));
    });
}
