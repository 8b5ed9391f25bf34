// `codex-lead init [--example]`: create .codex/ without overwriting anything a person wrote.
import path from "node:path";
import { Option, type Command } from "commander";
import type { CliContext } from "../context.js";

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command("init")
    .description("create .codex/ (config, empty plan, progress, .gitignore); idempotent, never overwrites a file")
    .option("--example", "set up a runnable offline example plan")
    .addOption(new Option("--ci <provider>", "also write a CI workflow (.github/workflows/codex-crew.yml)").choices(["github"]))
    .action(async (options: { example?: boolean; ci?: "github" }) => {
      const root = await ctx.root();
      const { initRepo } = await import("../../ops/init.js");
      const result = await initRepo(root, { example: options.example === true, ...(options.ci ? { ci: options.ci } : {}) });
      const show = (file: string): string => (path.isAbsolute(file) ? path.relative(root, file) || file : file);
      for (const file of result.created) ctx.output.say(`created ${show(file)}`);
      // Folders that exist already are not news; files a person may have written are.
      const keptFiles = result.kept.map(show).filter((file) => !file.endsWith("/"));
      if (result.created.length === 0) ctx.output.say(`already set up: ${keptFiles.length} files kept as they are`);
      else for (const file of keptFiles) ctx.output.say(ctx.output.style.dim(`kept    ${file} (already there)`));
      ctx.output.say(
        options.example
          ? "next: run `codex-lead validate`, then `codex-lead run`"
          : "next: write the plan in .codex/features.json (`codex-lead edit features`), then run `codex-lead validate`",
      );
    });
}
