// What the task commands (retry, block, unblock, cancel) print: the transition on stdout, what happens next on stderr;
// a task already in the state asked for is said so on stdout, and the command succeeds.
import type { TransitionResult } from "../../ops/task-commands.js";
import type { CliContext } from "../context.js";

export function showTransition(ctx: CliContext, result: TransitionResult, next: string): void {
  if (result.already !== undefined) {
    ctx.output.data(result.already);
    return;
  }
  ctx.output.data(`${result.id}: ${result.from} -> ${result.to}${result.reason ? ` (${result.reason})` : ""}`);
  if (result.cancelMessage) ctx.output.say(`told its worker to stop (inbox message ${result.cancelMessage})`);
  ctx.output.say(next);
}
