// `codex-lead checkpoints [--json]`: one row per completed subtask — its tagged commit on the integration branch.
import type { Command } from "commander";
import type { CliContext } from "../context.js";

export function registerCheckpoints(program: Command, ctx: CliContext): void {
  program
    .command("checkpoints")
    .description("one row per completed subtask: task, attempt, worker, commit, tag, when, files, review, usage")
    .option("--json", "a JSON array on stdout")
    .action(async (options: { json?: boolean }) => {
      // Loaded only when this command runs: the git layer is not needed by status and friends.
      const { listCheckpoints, openCheckpointRepo, renderCheckpoints } = await import("../../checkpoints/index.js");
      const repo = await openCheckpointRepo(await ctx.root());
      const rows = await listCheckpoints(repo);
      ctx.output.data(options.json ? JSON.stringify(rows, null, 2) : renderCheckpoints(rows));
    });
}
