// Runs git through a few long-lived `sh` processes that read commands on their stdin, rather than starting
// every git from this Node process. A fork of a Node process copies (and the child then tears down) the page
// tables of 60-150 MB, and libuv blocks our event loop until the child has exec'ed: 1-4 ms of the lead's or a
// worker's time per call, six calls per subtask. sh forks in a fraction of that, beside our event loop.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";

export interface ShellRunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Undefined when the shell died (killed) before the command ended. */
  exitCode: number | undefined;
  error?: Error;
}

export interface ShellCommand {
  cwd: string;
  /** The program and its arguments (never interpreted by the shell: every word is single-quoted). */
  argv: string[];
  /** Variables set for this command only, on top of the shell's environment. */
  env?: Record<string, string>;
  /** Fed to the command's stdin byte for byte; stdin is /dev/null otherwise. */
  input?: string;
}

/** At most this many shells per process: enough for the few git calls we make at once. */
const MAX_SHELLS = 4;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One word for sh, whatever it holds: single quotes keep everything literal except a single quote itself. */
export function shellQuote(word: string): string {
  if (word.includes("\0")) throw new RangeError("a command word cannot contain a NUL byte");
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The script line for one command. After it ends, the shell writes an end marker with a fresh random nonce to
 * stdout (with the exit status) and to stderr, so that both streams are known to be complete.
 */
function scriptFor(command: ShellCommand, nonce: string): string {
  const assignments = Object.entries(command.env ?? {}).map(([key, value]) => {
    if (!ENV_NAME.test(key)) throw new RangeError(`invalid environment variable name ${JSON.stringify(key)}`);
    return `${key}=${shellQuote(value)} `;
  });
  const program = `${assignments.join("")}${command.argv.map(shellQuote).join(" ")}`;
  // The command must never read the shell's own stdin: that is where our next commands arrive.
  const run = command.input === undefined ? `${program} </dev/null` : `printf '%s' ${shellQuote(command.input)} | ${program}`;
  return `cd -- ${shellQuote(path.resolve(command.cwd))} && ${run}; s=$?; cd /; printf '\\000${nonce} %d\\000' "$s"; printf '\\000${nonce}\\000' >&2\n`;
}

interface Job {
  command: ShellCommand;
  resolve: (result: ShellRunResult) => void;
}

/** One sh process running one command at a time. */
class GitShell {
  private readonly child: ChildProcess;
  private current: { job: Job; nonce: string; out: Buffer[]; err: Buffer[]; status?: number; errDone: boolean } | undefined;
  dead = false;

  constructor(env: Record<string, string>, private readonly onIdle: (shell: GitShell) => void) {
    // Back in / after every command: an idle shell holds no directory of the repository (nor looks like a
    // process working in a worktree when the lead looks for leftovers there).
    this.child = spawn("sh", [], { cwd: "/", env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout?.on("data", (chunk: Buffer) => this.onOutput(chunk, "out"));
    this.child.stderr?.on("data", (chunk: Buffer) => this.onOutput(chunk, "err"));
    this.child.stdin?.on("error", () => undefined); // a dead shell: its "exit" tells
    this.child.on("error", (error) => this.die(error));
    this.child.on("exit", (code, signal) => this.die(new Error(`the git shell exited (${signal ?? `code ${code}`})`)));
    // A stop by SIGTERM or Ctrl-C reaches the whole process group: the shell lives on, so that the git calls of a
    // clean stop (committing the work so far) find it. git itself still stops on them (it sets its own handlers).
    this.child.stdin?.write("trap '' INT TERM\n");
    this.setRef(false);
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  start(job: Job): void {
    const nonce = randomBytes(12).toString("hex");
    let script: string;
    try {
      script = scriptFor(job.command, nonce);
    } catch (error: unknown) {
      job.resolve({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: undefined, error: error as Error });
      this.onIdle(this);
      return;
    }
    this.current = { job, nonce, out: [], err: [], errDone: false };
    // While a command runs, the shell keeps this process alive; idle, it must not.
    this.setRef(true);
    this.child.stdin?.write(script);
  }

  close(): void {
    this.child.stdin?.end();
  }

  private onOutput(chunk: Buffer, stream: "out" | "err"): void {
    const current = this.current;
    if (!current) return;
    const chunks = stream === "out" ? current.out : current.err;
    chunks.push(chunk);
    // The marker is the last thing written (git has exited by then): only the end of the stream is looked at.
    const tail = lastBytes(chunks, current.nonce.length + 16);
    if (tail[tail.length - 1] !== 0) return;
    const start = tail.lastIndexOf(`\0${current.nonce}`, tail.length - 2);
    if (start === -1) return;
    const between = tail.subarray(start + 1 + current.nonce.length, tail.length - 1).toString("latin1");
    const markerLength = tail.length - start;
    if (stream === "err") {
      if (between !== "") return;
      current.errDone = true;
    } else {
      if (!/^ \d+$/.test(between)) return;
      current.status = Number(between.slice(1));
    }
    dropLastBytes(chunks, markerLength);
    if (current.status !== undefined && current.errDone) this.finish({ exitCode: current.status });
  }

  private finish(outcome: { exitCode: number | undefined; error?: Error }): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    this.setRef(false);
    current.job.resolve({ stdout: Buffer.concat(current.out), stderr: Buffer.concat(current.err), ...outcome });
    if (!this.dead) this.onIdle(this);
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.finish({ exitCode: undefined, error });
    this.onIdle(this);
  }

  private setRef(on: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr]) {
      const refable = handle as { ref?: () => void; unref?: () => void } | null;
      if (on) refable?.ref?.();
      else refable?.unref?.();
    }
  }
}

/** The last `count` bytes of the chunks (fewer when there are not that many). */
function lastBytes(chunks: Buffer[], count: number): Buffer {
  const picked: Buffer[] = [];
  let have = 0;
  for (let i = chunks.length - 1; i >= 0 && have < count; i--) {
    const chunk = chunks[i] as Buffer;
    picked.unshift(chunk);
    have += chunk.length;
  }
  const joined = picked.length === 1 ? (picked[0] as Buffer) : Buffer.concat(picked);
  return joined.subarray(Math.max(0, joined.length - count));
}

/** Removes the last `count` bytes from the chunks. */
function dropLastBytes(chunks: Buffer[], count: number): void {
  let left = count;
  while (left > 0 && chunks.length > 0) {
    const last = chunks[chunks.length - 1] as Buffer;
    if (last.length <= left) {
      chunks.pop();
      left -= last.length;
    } else {
      chunks[chunks.length - 1] = last.subarray(0, last.length - left);
      left = 0;
    }
  }
}

/** A few shells started on first use and reused; commands beyond them wait their turn. */
export class GitShellPool {
  private readonly shells: GitShell[] = [];
  private readonly waiting: Job[] = [];
  private retiring = false;

  constructor(private readonly env: Record<string, string>) {}

  run(command: ShellCommand): Promise<ShellRunResult> {
    return new Promise((resolve) => {
      const job: Job = { command, resolve };
      const idle = this.shells.find((shell) => !shell.busy && !shell.dead);
      if (idle) return idle.start(job);
      if (this.shells.length < MAX_SHELLS) return this.newShell().start(job);
      this.waiting.push(job);
    });
  }

  /** Lets every shell finish the commands it was given (waiting ones included), then exit. */
  retire(): void {
    this.retiring = true;
    for (const shell of this.shells) if (!shell.busy) shell.close();
  }

  private newShell(): GitShell {
    const shell = new GitShell(this.env, (freed) => this.onIdle(freed));
    this.shells.push(shell);
    return shell;
  }

  private onIdle(shell: GitShell): void {
    if (shell.dead) {
      const index = this.shells.indexOf(shell);
      if (index !== -1) this.shells.splice(index, 1);
    }
    const next = this.waiting.shift();
    if (next) (shell.dead ? this.newShell() : shell).start(next);
    else if (this.retiring && !shell.dead) shell.close();
  }
}
