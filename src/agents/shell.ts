// The `shell` agent: runs a subtask's command in its own process group, with a timeout and cancel that kill the whole group.
import { spawn, type ChildProcess } from "node:child_process";
import { isProcessGroupAlive, killProcessGroup } from "./process-group.js";
import { OutputTail } from "./output-tail.js";
import { redactSecrets } from "../util/redact.js";

export { isProcessAlive, isProcessGroupAlive, killProcessGroup, killProcessesUnder, type KillOptions } from "./process-group.js";

export interface ShellAgentOptions {
  /** A string runs through `sh -c`; an array runs as argv, no shell ever reading its values. */
  command: string | string[];
  cwd: string;
  /** Added to this process's environment (set `extendEnv: false` to pass only these). */
  env: Record<string, string>;
  extendEnv?: boolean;
  /** Time limit; a value that is not a positive finite number means none. */
  timeoutMs: number;
  /** Aborting it cancels the agent (its process group is killed). */
  signal?: AbortSignal;
  /** Each line of output as it comes (without its line break). */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
  /** Time between the first signal and SIGKILL on timeout or cancel. Default: 2000 ms. */
  killGraceMs?: number;
  /** The first signal sent to the group on timeout or cancel (agent CLIs stop cleanly on SIGINT). Default: SIGTERM. */
  killSignal?: NodeJS.Signals;
  /** Longest line `onOutput` gets whole (default 64 Ki characters); JSONL readers need their longest event. */
  maxLineChars?: number;
  /** How messages name the command, instead of its argv (which may hold a whole prompt). */
  label?: string;
  onSpawn?: (pid: number) => void;
}

interface Tails {
  stdoutTail: string;
  stderrTail: string;
  durationMs: number;
}

export type AgentFailureReason = "exit" | "signal" | "timeout" | "cancelled" | "spawn";

export type AgentOutcome =
  | ({ ok: true; exitCode: 0 } & Tails)
  | ({
      ok: false;
      reason: AgentFailureReason;
      exitCode?: number;
      signal?: string;
      /** One line: reason, command, exit code or signal, stderr tail. */
      message: string;
    } & Tails);

const TAIL_CHARS = 4096;
const MESSAGE_STDERR_CHARS = 300;
const MESSAGE_COMMAND_CHARS = 200;
/** After the agent exits, how long its pipes may stay open (held by its children) before we clear up its group. */
const DRAIN_MS = 100;
/** After killing, how long to wait for the exit event before giving up on it (a process stuck in the kernel). */
const EXIT_WAIT_AFTER_KILL_MS = 5000;
const MAX_TIMER_MS = 2_147_483_647;

export function describeCommand(command: string | string[]): string {
  const text =
    typeof command === "string"
      ? command
      : command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(" ");
  const flat = text.replace(/\s*\r?\n\s*/g, " ⏎ ");
  return flat.length > MESSAGE_COMMAND_CHARS ? `${flat.slice(0, MESSAGE_COMMAND_CHARS)}…` : flat;
}

/** The end of a stderr text on one line, for a failure message. */
export function stderrForMessage(stderr: string): string {
  const flat = stderr.trim().split(/\r?\n/).map((line) => line.trim()).filter(Boolean).join(" | ");
  return flat.length > MESSAGE_STDERR_CHARS ? `…${flat.slice(-MESSAGE_STDERR_CHARS)}` : flat;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `child`'s stdout and stderr have both closed. */
function pipesClosed(child: ChildProcess): Promise<void> {
  const closed = (stream: NodeJS.ReadableStream | null): Promise<void> =>
    stream === null || (stream as { closed?: boolean }).closed
      ? Promise.resolve()
      : new Promise((resolve) => stream.once("close", () => resolve()));
  return Promise.all([closed(child.stdout), closed(child.stderr)]).then(() => undefined);
}

/**
 * Runs an agent command and tells how it ended. Never throws for the agent's failure (ok: false with
 * the reason); throws only for a bug of ours or an exception thrown by `onOutput`.
 * The command leads its own process group (detached), so on timeout or cancel its children die too;
 * children it leaves running after it exits are killed as well. stdin is closed.
 */
export async function runShellAgent(options: ShellAgentOptions): Promise<AgentOutcome> {
  const started = performance.now();
  const graceMs = options.killGraceMs ?? 2000;
  let listenerError: unknown;
  const onLine = (stream: "stdout" | "stderr") =>
    options.onOutput === undefined
      ? undefined
      : (line: string): void => {
          if (listenerError !== undefined) return;
          try {
            options.onOutput?.(line, stream);
          } catch (error: unknown) {
            listenerError = error;
          }
        };
  const stdout = new OutputTail(TAIL_CHARS, onLine("stdout"), options.maxLineChars);
  const stderr = new OutputTail(TAIL_CHARS, onLine("stderr"), options.maxLineChars);
  const commandText = options.label ?? describeCommand(options.command);
  const kill = { graceMs, signal: options.killSignal ?? "SIGTERM" };

  const finish = (
    result: { ok: true } | { ok: false; reason: AgentFailureReason; exitCode?: number; signal?: string; what: string },
  ): AgentOutcome => {
    stdout.flush();
    stderr.flush();
    if (listenerError !== undefined) throw listenerError;
    const tails: Tails = {
      // What the agent printed is kept in reasons and logs: secrets of the environment are not.
      stdoutTail: redactSecrets(stdout.tail),
      stderrTail: redactSecrets(stderr.tail),
      durationMs: Math.round(performance.now() - started),
    };
    if (result.ok) return { ok: true, exitCode: 0, ...tails };
    const said = stderrForMessage(tails.stderrTail);
    const message = `${result.reason}: \`${commandText}\` ${result.what}${said ? ` — stderr: ${said}` : ""}`;
    const outcome: AgentOutcome = { ok: false, reason: result.reason, message, ...tails };
    if (result.exitCode !== undefined) outcome.exitCode = result.exitCode;
    if (result.signal !== undefined) outcome.signal = result.signal;
    return outcome;
  };

  const [file, ...args] = typeof options.command === "string" ? ["sh", "-c", options.command] : options.command;
  if (file === undefined || file === "") {
    return finish({ ok: false, reason: "spawn", what: "could not start: the command is empty" });
  }
  if (options.signal?.aborted) {
    return finish({ ok: false, reason: "cancelled", what: "was cancelled before it started" });
  }

  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env: options.extendEnv === false ? { ...options.env } : { ...process.env, ...options.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
  } catch (error: unknown) {
    return finish({ ok: false, reason: "spawn", what: `could not start in ${options.cwd}: ${errorText(error)}` });
  }
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: string) => stderr.push(chunk));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => resolve({ error }));
  });
  const pid = child.pid;
  if (pid === undefined) {
    const ended = await exited;
    const reason = "error" in ended ? errorText(ended.error) : "no process id";
    return finish({ ok: false, reason: "spawn", what: `could not start in ${options.cwd}: ${reason}` });
  }
  // Errors after a successful start (e.g. a failed kill) are reported through the outcome, not thrown.
  child.on("error", () => undefined);

  let stopReason: "timeout" | "cancelled" | undefined;
  let killing: Promise<void> | undefined;
  const stop = (reason: "timeout" | "cancelled"): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    killing = killProcessGroup(pid, kill).catch(() => undefined);
  };
  const timer =
    Number.isFinite(options.timeoutMs) && options.timeoutMs > 0 && options.timeoutMs <= MAX_TIMER_MS
      ? setTimeout(() => stop("timeout"), options.timeoutMs)
      : undefined;
  const onAbort = (): void => stop("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    options.onSpawn?.(pid);
  } catch (error: unknown) {
    listenerError = error;
    stop("cancelled");
  }

  let ended: Awaited<typeof exited>;
  try {
    ended = await exited;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }

  // The agent is gone; children it left behind may hold our pipes open for ever. Give output a moment to
  // drain, then clear up what is left of its group, and stop waiting for pipes nobody of ours holds.
  const pipes = pipesClosed(child);
  const drained = await Promise.race([pipes.then(() => true), delay(DRAIN_MS).then(() => false)]);
  if (!drained || isProcessGroupAlive(pid)) {
    await (killing ?? killProcessGroup(pid, kill).catch(() => undefined));
    await Promise.race([pipes, delay(DRAIN_MS)]);
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
  if (killing) await killing;
  return finish(describeEnd(ended, stopReason, options.timeoutMs));
}

function describeEnd(
  ended: { code: number | null; signal: NodeJS.Signals | null } | { error: Error },
  stopReason: "timeout" | "cancelled" | undefined,
  timeoutMs: number,
): { ok: true } | { ok: false; reason: AgentFailureReason; exitCode?: number; signal?: string; what: string } {
  const how =
    "error" in ended
      ? `failed: ${errorText(ended.error)}`
      : ended.signal !== null
        ? `killed with ${ended.signal}`
        : `exit code ${String(ended.code)}`;
  const facts = "error" in ended ? {} : ended.signal !== null ? { signal: ended.signal } : { exitCode: ended.code ?? undefined };
  if (stopReason === "timeout") return { ok: false, reason: "timeout", ...facts, what: `timed out after ${timeoutMs} ms (${how})` };
  if (stopReason === "cancelled") return { ok: false, reason: "cancelled", ...facts, what: `was cancelled (${how})` };
  if ("error" in ended) return { ok: false, reason: "spawn", what: how };
  if (ended.signal !== null) return { ok: false, reason: "signal", signal: ended.signal, what: `was killed by ${ended.signal}` };
  if (ended.code === 0) return { ok: true };
  return { ok: false, reason: "exit", exitCode: ended.code ?? undefined, what: `failed with exit code ${String(ended.code)}` };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
