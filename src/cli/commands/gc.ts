// `codex-lead gc [--dry-run] [--abandon <name>...]`: remove merged (or abandoned) worktrees and work branches; list and keep the rest.
import type { Command } from "commander";
import type { CliContext } from "../context.js";

export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command("gc")
    .description("remove codex-crew's worktrees and codex/work/ branches that are merged; list the rest with what removing them would lose")
    .option("--dry-run", "print what would be removed and kept, remove nothing")
    .option("--abandon <name...>", "a codex/work/ branch, worker id or worktree to remove even though it is not merged")
    .option("--json", "the result as JSON on stdout")
    .action(async (options: { dryRun?: boolean; abandon?: string[]; json?: boolean }) => {
      // Loaded only when this command runs: the git layer is not needed by status and friends.
      const { gc, openCheckpointRepo, renderGc } = await import("../../checkpoints/index.js");
      const repo = await openCheckpointRepo(await ctx.root(), await ctx.store());
      const result = await gc(repo, { dryRun: options.dryRun ?? false, abandon: options.abandon ?? [] });
      ctx.output.data(options.json ? JSON.stringify(result, null, 2) : renderGc(result));
    });
}
