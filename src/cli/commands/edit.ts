// `codex-lead edit progress|features|config`: the file in $VISUAL/$EDITOR, validated, merged under the lock.
import { createInterface } from "node:readline/promises";
import { Argument, type Command } from "commander";
import { EDIT_TARGETS, type EditTarget } from "../../ops/edit-targets.js";
import type { CliContext } from "../context.js";

/** "(r)eopen or (a)bandon?" on the terminal; true to reopen. */
async function askReopen(ctx: CliContext, problems: string[]): Promise<boolean> {
  const { output } = ctx;
  output.say(output.style.red("your edit is invalid:"));
  for (const problem of problems) output.say(`  ${problem}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question("(r)eopen or (a)bandon? ")).trim().toLowerCase();
      if (answer === "r" || answer === "reopen" || answer === "") return true;
      if (answer === "a" || answer === "abandon") return false;
    }
  } finally {
    rl.close();
  }
}

export function registerEdit(program: Command, ctx: CliContext): void {
  program
    .command("edit")
    .description("open a .codex/ file in $VISUAL/$EDITOR (no lock held while you type); validated on save and merged with changes made meanwhile")
    .addArgument(new Argument("<file>", "which file").choices(EDIT_TARGETS))
    .action(async (target: EditTarget) => {
      const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
      // Loaded when used: the edit session is the largest part of the command line that most runs never need.
      const { editFile } = await import("../../ops/edit-session.js");
      const outcome = await editFile(await ctx.store(), target, {
        say: (line) => ctx.output.say(line),
        ...(interactive ? { askReopen: (problems: string[]) => askReopen(ctx, problems) } : {}),
      });
      if (outcome.kind === "unchanged") ctx.output.say(`no changes to ${outcome.file}`);
      else if (outcome.merged) ctx.output.say(`saved ${outcome.file}, with your changes on top of those made meanwhile`);
      else ctx.output.say(`saved ${outcome.file}`);
    });
}
