// `codex-lead send <task> "<message>"`: a note into the task's inbox; prints the message id.
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CliContext } from "../context.js";

export function registerSend(program: Command, ctx: CliContext): void {
  program
    .command("send")
    .description("send a note to whoever works on <task>; prints the message id")
    .argument("<task>", "subtask id")
    .argument("<message>", "the note (quote it)")
    .action(async (task: string, message: string) => {
      if (message.trim() === "") throw new UsageError("the message is empty", 'Write it in quotes: codex-lead send <task> "<message>".');
      const { sendMessage } = await import("../../ops/inbox.js");
      const sent = await sendMessage(await ctx.store(), task, { kind: "note", text: message, from: "person" });
      ctx.output.data(sent.id);
      ctx.output.say(`sent to ${task}'s inbox`);
    });
}
