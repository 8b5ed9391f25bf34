// The workers the lead starts: child processes in their own process groups, logging to .codex/logs/,
// whose exit the lead learns at once.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { killProcessGroup } from "../agents/shell.js";
import { assertNoSymlink, openForAppend } from "../store/safe-path.js";
import { redactSecrets } from "../util/redact.js";

const workerBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "codex-worker.js");

export interface ChildWorker {
  id: string;
  pid: number;
  logFile: string;
  process: ChildProcess;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

export class WorkerPool {
  readonly children = new Map<string, ChildWorker>();
  private sequence = 0;

  constructor(
    private readonly root: string,
    private readonly logDir: string,
    private readonly timing: { heartbeatMs: number; idleHeartbeatMs: number },
    private readonly onExit: () => void,
  ) {}

  spawn(): ChildWorker {
    const logFile = path.join(this.logDir, `worker-${process.pid}-${++this.sequence}.log`);
    // The logs live in .codex/logs: never written through a link there.
    assertNoSymlink(path.dirname(this.logDir), logFile);
    mkdirSync(this.logDir, { recursive: true });
    const fd = openForAppend(path.dirname(this.logDir), logFile, "write");
    // A log file rather than a pipe: the worker outlives a killed lead without dying of EPIPE.
    // A young generation of 4 MB rather than 16 MB a semi-space: a worker allocates little per attempt, and at 16
    // workers the default's headroom alone came to ~300 MB (bench/jobs.js: peak 1564 -> 1230 MB, sum of PSS).
    const child = spawn(
      process.execPath,
      ["--max-semi-space-size=4", workerBin, "--cwd", this.root, "--lead-pid", String(process.pid), "--heartbeat", `${this.timing.heartbeatMs}ms`, "--idle-heartbeat", `${this.timing.idleHeartbeatMs}ms`],
      { cwd: this.root, detached: true, stdio: ["ignore", fd, fd], env: process.env },
    );
    closeSync(fd);
    const pid = child.pid;
    if (pid === undefined) throw new Error("could not start codex-worker");
    const worker: ChildWorker = { id: `w${pid}`, pid, logFile, process: child };
    child.on("exit", (code, signal) => {
      worker.exit = { code, signal };
      this.onExit();
    });
    child.on("error", () => undefined);
    child.unref();
    this.children.set(worker.id, worker);
    return worker;
  }

  live(): ChildWorker[] {
    return [...this.children.values()].filter((child) => !child.exit);
  }

  /** The last lines a worker wrote, for the reason of a failed attempt. */
  static tail(logFile: string, bytes = 1500): string {
    // Only the end is read: a long-lived worker's log can be large.
    let fd: number | undefined;
    try {
      fd = openSync(logFile, "r");
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return redactSecrets(buffer.toString("utf8").trim());
    } catch {
      return "";
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(this.live().map((child) => killProcessGroup(child.pid, { graceMs })));
  }
}
