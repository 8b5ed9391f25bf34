// The run_command tool: a command in the worktree, in its own process group (killed on timeout or cancel), its whole
// output appended to the attempt's log and a cut of it — head and tail, the original size stated — sent to the model;
// secrets of the environment (the model's own key among them) replaced by *** in both.
import { createWriteStream } from "node:fs";
import { redactSecrets } from "../../../util/redact.js";
import { runShellAgent } from "../../shell.js";
import { ToolError } from "./paths.js";

/** What the model sees of a command's output: this much, half from the start and half from the end. */
export const MODEL_OUTPUT_BYTES = 10 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_TIMEOUT_MS = 30 * 60_000;

export interface CommandContext {
  worktree: string;
  env: Record<string, string>;
  logFile: string;
  signal: AbortSignal;
  /** The command's time limit can never exceed what is left of the attempt. */
  remainingMs: () => number;
  onSpawn?: ((pid: number) => void) | undefined;
}

/** Keeps the first and last `half` bytes of a stream of text and counts the rest. */
class HeadTail {
  private head = "";
  private tail = "";
  total = 0;
  constructor(private readonly half: number) {}
  push(text: string): void {
    this.total += Buffer.byteLength(text);
    if (this.head.length < this.half) {
      const room = this.half - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (text === "") return;
    this.tail = (this.tail + text).slice(-this.half);
  }
  toString(): string {
    const shown = this.head.length + this.tail.length;
    if (Buffer.byteLength(this.head + this.tail) >= this.total || shown === 0) return this.head + this.tail;
    return `${this.head}\n[… output cut: ${this.total} bytes in all; the first and last ${Math.round(this.half / 1024)} KiB shown, all of it in the attempt's log …]\n${this.tail}`;
  }
}

function parseCommand(value: unknown): string | string[] {
  if (typeof value === "string" && value.trim() !== "") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((part) => typeof part === "string") && value[0] !== "") {
    return value as string[];
  }
  throw new ToolError('command must be a non-empty string (run by sh -c) or an array of strings (argv, e.g. ["npm", "test"])');
}

export async function runCommand(ctx: CommandContext, args: Record<string, unknown>): Promise<string> {
  const command = parseCommand(args.command);
  const asked = args.timeout_ms;
  if (asked !== undefined && (typeof asked !== "number" || !(asked > 0))) throw new ToolError("timeout_ms must be a positive number of milliseconds");
  const timeoutMs = Math.max(1, Math.min(asked ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, ctx.remainingMs()));
  const cut = new HeadTail(MODEL_OUTPUT_BYTES / 2);
  const log = createWriteStream(ctx.logFile, { flags: "a" });
  const logged = new Promise<void>((resolve) => {
    log.once("close", () => resolve());
    log.once("error", () => resolve());
  });
  const env = { ...process.env, ...ctx.env };
  log.write(`\n$ ${redactSecrets(typeof command === "string" ? command : JSON.stringify(command), env)}\n`);
  const outcome = await runShellAgent({
    command,
    cwd: ctx.worktree,
    env: ctx.env,
    timeoutMs,
    signal: ctx.signal,
    onSpawn: ctx.onSpawn,
    onOutput: (line) => {
      const shown = `${redactSecrets(line, env)}\n`;
      cut.push(shown);
      log.write(shown);
    },
  });
  const ending = outcome.ok ? "exit code 0" : outcome.reason === "exit" ? `exit code ${String(outcome.exitCode)}` : outcome.message;
  log.end(`[${ending}; ${outcome.durationMs} ms]\n`);
  await logged;
  const output = cut.toString();
  return `${ending}${output === "" ? " (no output)" : `\n${output}`}`;
}
