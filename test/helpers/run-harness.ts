// Runs `codex-lead run --json` for real in a temp repository and watches it from outside: NDJSON events,
// progress.json, events.jsonl, tags and commits. Every process a test started is killed after it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach } from "vitest";
import type { RunEvent } from "../../src/lead/run-events.js";
import type { InboxFile } from "../../src/schema/inbox.js";
import type { ProgressFile, TaskState, WorkerState } from "../../src/schema/progress.js";
import { agentClaim, checkClaim, workerClaim } from "../../src/util/process-identity.js";
import { git, leadBin, repoRoot, tempRepo, waitFor, workerBin } from "./temp.js";

export type RunEventLine = RunEvent & { ts: string };
export type EventOf<K extends RunEvent["type"]> = Extract<RunEventLine, { type: K }>;

export const node = process.execPath;
export const fixture = (name: string): string => path.join(repoRoot, "test", "fixtures", name);
/** An argv command running a fixture agent with node (no shell reads the arguments). */
export const agent = (name: string, ...args: string[]): string[] => [node, fixture(name), ...args];

/** Sub-second leases, short backoff: the settings every run test starts from. */
export const FAST_CONFIG = {
  workers: 2,
  heartbeat: "200ms",
  stall_timeout: "3s",
  max_attempts: 3,
  backoff: { initial: "100ms", max: "500ms", factor: 2 },
  task_timeout: "60s",
  fsync: false,
} as const;

export interface SubtaskSpec {
  id: string;
  name?: string;
  deps?: string[];
  /** For the shell agent (the default); other agents need none. */
  command?: string | string[];
  timeout?: string;
  agent?: string;
  description?: string;
  acceptance?: string | string[];
  files?: string[];
  budget?: number;
  result_schema?: Record<string, unknown>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function featuresOf(subtasks: SubtaskSpec[]): unknown {
  return {
    features: [{ id: "f", feature: "run test", subtasks: subtasks.map((s) => ({ name: `subtask ${s.id}`, ...s })) }],
  };
}

const repos: RunRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
});

export class RunRepo {
  readonly root: string;
  readonly dir: string;
  private readonly runs: LeadRun[] = [];

  private constructor(root: string) {
    this.root = root;
    this.dir = path.join(root, ".codex");
  }

  /** A temp repository with `.codex/` initialised and the given plan and config written. */
  static async create(subtasks: SubtaskSpec[], config: Record<string, unknown> = {}): Promise<RunRepo> {
    const repo = new RunRepo(tempRepo("codex-run-"));
    repos.push(repo);
    const init = await repo.lead(["init"]);
    if (init.code !== 0) throw new Error(`codex-lead init failed (${init.code}): ${init.stderr}`);
    writeFileSync(path.join(repo.dir, "config.json"), `${JSON.stringify({ ...FAST_CONFIG, ...config }, null, 2)}\n`);
    repo.writePlan(subtasks);
    return repo;
  }

  /** A temp repository set up by `codex-lead init --example` (the offline example's plan and config). */
  static async example(): Promise<RunRepo> {
    const repo = new RunRepo(tempRepo("codex-example-"));
    repos.push(repo);
    const init = await repo.lead(["init", "--example"]);
    if (init.code !== 0) throw new Error(`codex-lead init --example failed (${init.code}): ${init.stderr}`);
    return repo;
  }

  /** Saves features.json the way an editor does: a temp file beside it, renamed over it. */
  writeFeaturesText(text: string): void {
    const file = path.join(this.dir, "features.json");
    const temp = `${file}.test-save`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  }

  writePlan(subtasks: SubtaskSpec[]): void {
    this.writeFeaturesText(`${JSON.stringify(featuresOf(subtasks), null, 2)}\n`);
  }

  featuresText(): string {
    return readFileSync(path.join(this.dir, "features.json"), "utf8");
  }

  markPath(name: string): string {
    return path.join(this.dir, "test-marks", name);
  }

  hasMark(name: string): boolean {
    return existsSync(this.markPath(name));
  }

  /** The pid a fixture wrote into its mark. */
  markPid(name: string): number {
    const pid = Number(readFileSync(this.markPath(name), "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`mark ${name} holds no pid`);
    return pid;
  }

  /** Writes mark `name` (e.g. `release-x`, which lets a held fixture go on). */
  mark(name: string): void {
    mkdirSync(path.dirname(this.markPath(name)), { recursive: true });
    writeFileSync(`${this.markPath(name)}.tmp`, "test\n");
    renameSync(`${this.markPath(name)}.tmp`, this.markPath(name));
  }

  markLines(name: string): string[] {
    if (!this.hasMark(name)) return [];
    return readFileSync(this.markPath(name), "utf8").split("\n").filter(Boolean);
  }

  /**
   * Starts `codex-lead run --json` (or another command of the lead, e.g. `jobs run … --json`) in its own process group;
   * `env` is added to its environment (and so its workers' and agents'), e.g. a model server's key.
   */
  start(args: string[] = [], command: string[] = ["run", "--json"], env: NodeJS.ProcessEnv = {}): LeadRun {
    const run = new LeadRun(this.root, args, command, env);
    this.runs.push(run);
    return run;
  }

  /** progress.json as it is now (every write is an atomic replace, so a read is never torn). */
  progress(): ProgressFile {
    return JSON.parse(readFileSync(path.join(this.dir, "progress.json"), "utf8")) as ProgressFile;
  }

  task(id: string): TaskState {
    const task = this.progress().tasks[id];
    if (!task) throw new Error(`task ${id} is not in progress.json`);
    return task;
  }

  /** The worker process of a running task, from progress.json. */
  assigneeOf(id: string): { worker: string; pid: number; agentPid: number | undefined } {
    const progress = this.progress();
    const worker = progress.tasks[id]?.assignee;
    const entry = worker ? progress.workers?.[worker] : undefined;
    if (!worker || !entry) throw new Error(`task ${id} has no live assignee in progress.json`);
    return { worker, pid: entry.pid, agentPid: entry.agent_pid ?? undefined };
  }

  inbox(id: string): InboxFile {
    return JSON.parse(readFileSync(path.join(this.dir, "inbox", `${id}.json`), "utf8")) as InboxFile;
  }

  /** .codex/events.jsonl, one object per line. */
  auditEvents(): Record<string, unknown>[] {
    const file = path.join(this.dir, "events.jsonl");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  git(args: string[]): string {
    return git(this.root, args);
  }

  /** Tag name -> the commit it points at, for every `codex/task/*` tag. */
  tags(): Map<string, string> {
    const out = this.git(["for-each-ref", "--format=%(refname:short) %(objectname) %(*objectname)", "refs/tags/codex/task/"]);
    const tags = new Map<string, string>();
    for (const line of out.split("\n").filter(Boolean)) {
      const [name, object, peeled] = line.split(" ");
      if (name) tags.set(name, peeled || object || "");
    }
    return tags;
  }

  /** Task id -> the commits on codex/integration whose `Task:` trailer names it. */
  taskCommits(branch = "codex/integration"): Map<string, string[]> {
    const out = this.git(["log", "--format=%H %(trailers:key=Task,valueonly,separator=%x2C)", branch]);
    const commits = new Map<string, string[]>();
    for (const line of out.split("\n").filter(Boolean)) {
      const [sha, task] = line.split(" ");
      if (!sha || !task) continue;
      commits.set(task, [...(commits.get(task) ?? []), sha]);
    }
    return commits;
  }

  /** A file as committed on a ref, or undefined when the ref does not have it. */
  show(ref: string, file: string): string | undefined {
    const result = spawnSync("git", ["show", `${ref}:${file}`], { cwd: this.root, encoding: "utf8" });
    return result.status === 0 ? result.stdout : undefined;
  }

  /** `codex-lead <args>` in the repository, to the end. */
  lead(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return this.cli(leadBin, args, env);
  }

  /** `codex-worker <args>` with exactly the given CODEX_* environment. */
  worker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return this.cli(workerBin, args, env);
  }

  /** Asynchronous, so a running lead's NDJSON keeps being read meanwhile (a full stdout pipe would block it). */
  private cli(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(node, [bin, ...args], { cwd: this.root, env: { ...withoutCodexEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}` }));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Live processes working in this repository: leads, workers, agents (found by their working directory). */
  processes(): number[] {
    return processesUnder(this.root);
  }

  /**
   * Kills every process group this test started: the leads, and every process working in the repository
   * (workers and agents, found by their working directory — never by a pid that may have been reused).
   */
  async cleanup(): Promise<void> {
    for (const run of this.runs) if (!run.exit) killGroup(run.pid);
    for (const pid of this.processes()) killGroup(pid);
    await waitFor("every process of the test to be gone", () => {
      const left = this.processes();
      for (const pid of left) killGroup(pid);
      return left.length === 0;
    }, 10_000);
  }
}

export class LeadRun {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly events: RunEventLine[] = [];
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  stderr = "";
  private partial = "";

  constructor(
    private readonly root: string,
    args: string[],
    command: string[] = ["run", "--json"],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.child = spawn(node, [leadBin, ...command, ...args], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...withoutCodexEnv(), ...env } });
    if (this.child.pid === undefined) throw new Error("could not start codex-lead run");
    this.pid = this.child.pid;
    this.child.stdout?.setEncoding("utf8");
    this.child.stderr?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => this.take(chunk));
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    // "close", not "exit": every NDJSON line has been read by then.
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.take("\n");
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  private take(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        this.events.push(JSON.parse(line) as RunEventLine);
      } catch {
        this.stderr += `[not NDJSON on stdout] ${line}\n`;
      }
    }
  }

  of<K extends RunEvent["type"]>(type: K): EventOf<K>[] {
    return this.events.filter((event): event is EventOf<K> => event.type === type);
  }

  /** What the run did so far, for failure messages: its events (without progress ticks) and stderr tail. */
  describe(): string {
    const shown = this.events
      .filter((event) => event.type !== "run.progress")
      .slice(-25)
      .map((event) => JSON.stringify(event).slice(0, 1000));
    const exit = this.exit ? `exited ${this.exit.code ?? this.exit.signal}` : "running";
    let state: string;
    try {
      const progress = JSON.parse(readFileSync(path.join(this.root, ".codex", "progress.json"), "utf8")) as ProgressFile;
      const tasks = Object.entries(progress.tasks).map(([id, t]) => `${id}: ${t.status} #${t.attempt ?? 0} ${t.assignee ?? "-"} ${t.detail ?? ""}`);
      const workers = Object.entries(progress.workers ?? {}).map(([id, w]) => `${id}: ${w.status} pid ${w.pid} agent ${w.agent_pid ?? "-"} task ${w.task ?? "-"}#${w.attempt ?? "-"}`);
      state = [...tasks, ...workers].join("\n  ");
    } catch (error: unknown) {
      state = `unreadable: ${String(error)}`;
    }
    return `lead ${this.pid} ${exit}; events:\n  ${shown.join("\n  ")}\nprogress.json:\n  ${state}\nstderr: ${this.stderr.slice(-1500)}`;
  }

  /** The first event (from index `from` on) of `type` matching `match`; fails fast if the lead exits first. */
  async waitForEvent<K extends RunEvent["type"]>(
    type: K,
    match: (event: EventOf<K>) => boolean = () => true,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<EventOf<K>> {
    const find = () => this.events.slice(options.from ?? 0).find((event) => event.type === type && match(event as EventOf<K>)) as EventOf<K> | undefined;
    try {
      return await waitFor(`event ${type}`, () => {
        const found = find();
        if (!found && this.exit) throw new Error("the lead exited first");
        return found;
      }, options.timeoutMs ?? 30_000, 20);
    } catch (error: unknown) {
      const found = find();
      if (found) return found;
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${this.describe()}`);
    }
  }

  /** Waits (bounded) for any condition while the lead runs, with the run's story in the failure message. */
  async until<T>(what: string, check: () => T, timeoutMs = 30_000): Promise<NonNullable<T>> {
    try {
      return await waitFor(what, check, timeoutMs, 20);
    } catch (error: unknown) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${this.describe()}`);
    }
  }

  async waitForExit(timeoutMs = 45_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`codex-lead run did not exit within ${timeoutMs} ms\n${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The run.finished event of a run that ended. */
  finished(): EventOf<"run.finished"> {
    const finished = this.of("run.finished").at(-1);
    if (!finished) throw new Error(`no run.finished event\n${this.describe()}`);
    return finished;
  }
}

/** This process's environment without CODEX_* variables, so nothing of the test runner's leaks into a run. */
function withoutCodexEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CODEX_")));
}

/** Alive and not a zombie (PID 1 of a container may never reap orphans). */
/**
 * Written apart from src/util/process-alive.ts on purpose, like processesUnder below: the tests judge with these
 * whether the product killed and reaped its processes, so they must not share code with what they judge.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = procStat(pid);
  return stat === undefined || (stat.state !== "Z" && stat.state !== "X");
}

function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Live processes whose working directory is `dir` or inside it. */
export function processesUnder(dir: string): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    if ((cwd === dir || cwd.startsWith(`${dir}${path.sep}`)) && isAlive(pid)) pids.push(pid);
  }
  return pids;
}

/**
 * SIGKILL to a worker named in progress.json and to its agent, each only while it is still the process the entry
 * recorded: a pid read from a file may since belong to anything, the test runner or the session's shell included.
 */
export function killRecordedWorker(worker: WorkerState): void {
  if (checkClaim(workerClaim(worker)) === "ours") killGroup(worker.pid);
  const agent = agentClaim(worker);
  if (agent && checkClaim(agent) === "ours") killGroup(agent.pid);
}

/** Whether the worker an entry of progress.json names still runs (its pid not reused by another process). */
export function recordedWorkerAlive(worker: WorkerState): boolean {
  return checkClaim(workerClaim(worker)) === "ours";
}

/** SIGKILL to `pid` and to the group it leads — never to the test runner's own group. */
export function killGroup(pid: number): void {
  const own = procStat(process.pid)?.pgrp;
  if (procStat(pid)?.pgrp === pid && pid !== own) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  try {
    if (pid !== process.pid) process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** Sends a signal to one process, ignoring that it may be gone already. */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
