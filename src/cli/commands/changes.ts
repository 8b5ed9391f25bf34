// `codex-lead changes --since <task>`: the files changed on the integration branch since that subtask's checkpoint.
import type { Command } from "commander";
import type { CliContext } from "../context.js";

export function registerChanges(program: Command, ctx: CliContext): void {
  program
    .command("changes")
    .description("files changed on the integration branch since a subtask's checkpoint")
    .requiredOption("--since <task>", "the subtask whose checkpoint to compare with")
    .option("--json", "a JSON array of paths on stdout")
    .action(async (options: { since: string; json?: boolean }) => {
      // Loaded only when this command runs: the git layer is not needed by status and friends.
      const { changesSince, openCheckpointRepo } = await import("../../checkpoints/index.js");
      const repo = await openCheckpointRepo(await ctx.root());
      const files = await changesSince(repo, options.since);
      if (options.json) ctx.output.data(JSON.stringify(files));
      else if (files.length > 0) ctx.output.data(files.join("\n"));
      else ctx.output.say(`nothing changed on ${repo.integrationBranch} since ${options.since}`);
    });
}
