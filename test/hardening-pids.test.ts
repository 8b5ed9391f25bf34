// A pid or an id read from a file is a claim: stale, reused or hostile entries in progress.json never get a
// process adopted, given work or signalled, never become a path; worker ids are checked where they enter.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { markDeadWorkers } from "../src/lead/recover.js";
import type { ProgressFile } from "../src/schema/progress.js";
import { CodexStore } from "../src/store/codex-store.js";
import { agent, isAlive, node, RunRepo } from "./helpers/run-harness.js";
import { leadBin, tempDir, waitFor, workerBin } from "./helpers/temp.js";
import { liveWorkerProcess } from "./helpers/worktrees.js";

const started: ChildProcess[] = [];
afterAll(() => {
  // Only a child not yet reaped: once it has exited its pid (and group id) may belong to anyone.
  for (const child of started.splice(0)) {
    if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, "SIGKILL");
  }
});

/** A long `sleep` leading its own process group (as a worker or an agent does), working outside any repository. */
function bystander(cwd: string): number {
  const child = spawn("sleep", ["300"], { cwd, detached: true, stdio: "ignore" });
  started.push(child);
  if (child.pid === undefined) throw new Error("could not start sleep");
  return child.pid;
}

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

/** A pid no process has any more. */
function deadPid(): number {
  const pid = spawnSync("true").pid;
  if (!pid) throw new Error("could not run true");
  return pid;
}

function writeProgress(repo: RunRepo, change: (progress: ProgressFile) => void): void {
  const file = path.join(repo.dir, "progress.json");
  const progress = JSON.parse(readFileSync(file, "utf8")) as ProgressFile;
  change(progress);
  writeFileSync(file, `${JSON.stringify(progress, null, 2)}\n`);
}

const now = () => new Date().toISOString();

describe("stale and reused pids in progress.json", () => {
  it("a worker entry whose pid now names an unrelated live process is not adopted, assigned or signalled; the run completes without it", async () => {
    const repo = await RunRepo.create([
      { id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") },
      { id: "t2", command: agent("run-hold.mjs", "t2", "none", "t2.txt") },
    ]);
    const outside = tempDir("codex-bystanders-");
    const reused = bystander(outside);
    const busy = bystander(outside);
    const agentPid = bystander(outside);
    const lead = deadPid();
    writeProgress(repo, (progress) => {
      // Entries left by workers of a lead that died, whose pids the system has since given to other processes
      // (entries as an older version wrote them: no start time recorded, so nothing proves who they were).
      progress.workers = {
        wreused: { status: "idle", task: null, attempt: null, pid: reused, host: hostname(), started_at: now(), updated_at: now(), lead_pid: lead },
        wbusy: { status: "busy", task: "t1", attempt: 1, pid: busy, host: hostname(), started_at: now(), updated_at: now(), lead_pid: lead, agent_pid: agentPid },
      };
      progress.tasks.t1 = { status: "in_progress", assignee: "wbusy", attempt: 1, started_at: now(), updated_at: now() };
    });

    const run = repo.start();
    expect(await run.waitForExit(60_000), run.describe()).toEqual({ code: 0, signal: null });
    for (const pid of [reused, busy, agentPid]) expect(isAlive(pid), `bystander ${pid} was killed\n${run.describe()}`).toBe(true);
    expect(run.of("task.assigned").map((e) => e.worker)).not.toContain("wreused");
    expect(run.of("task.assigned").map((e) => e.worker)).not.toContain("wbusy");
    const progress = repo.progress();
    expect(progress.workers?.["wreused"]?.status).toBe("exited");
    expect(progress.workers?.["wbusy"]?.status).toBe("exited");
    expect(progress.workers?.["wreused"]?.lead_pid).toBe(lead);
    expect(progress.tasks["t1"]).toMatchObject({ status: "completed", attempt: 2 });
    expect(progress.tasks["t1"]?.attempts?.[0]).toMatchObject({ attempt: 1, worker: "wbusy", outcome: "exited" });
  }, 90_000);

  it("recovery tells a worker from a process that took its pid by the recorded start time and command line", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const reused = bystander(tempDir("codex-bystanders-"));
    const worker = liveWorkerProcess();
    const lead = deadPid();
    writeProgress(repo, (progress) => {
      const entry = { status: "idle" as const, task: null, attempt: null, host: hostname(), started_at: now(), updated_at: now(), lead_pid: lead };
      progress.workers = {
        // The pid of a worker that died, now a sleep's: the start time recorded is not the sleep's.
        wreused: { ...entry, pid: reused, pid_start: startTime(reused) + 1 },
        // The right start time, but no codex-worker in the command line: not a worker either.
        wimpostor: { ...entry, pid: reused, pid_start: startTime(reused) },
        // The process that registered, alive: its lead died, so it is adopted.
        wlive: { ...entry, pid: worker.pid, pid_start: worker.pid_start },
      };
    });
    const result = await markDeadWorkers(new CodexStore(repo.root));
    expect(result).toEqual({ dead: ["wreused", "wimpostor"], adopted: ["wlive"], unsafe: [] });
    expect(isAlive(reused)).toBe(true);
    expect(repo.progress().workers?.["wlive"]).toMatchObject({ status: "idle", lead_pid: process.pid, lead_start: startTime(process.pid) });
  });

  it("a lead lock whose recorded lead pid now names another process is taken over at once", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const reused = bystander(tempDir("codex-bystanders-"));
    writeProgress(repo, (progress) => {
      progress.run = { lead_pid: reused, lead_start: startTime(reused) + 1, host: hostname(), started_at: now(), updated_at: now() };
    });
    // The lock directory of a lead killed a moment ago: fresh, so not yet stale by its age.
    mkdirSync(path.join(repo.dir, "lead.lock"));
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });
    expect(isAlive(reused)).toBe(true);
  }, 60_000);

  it('"pid": 1 for a worker and its agent signals nothing: in a fresh PID namespace a bystander survives the run', async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    writeProgress(repo, (progress) => {
      progress.workers = { w1: { status: "busy", task: "t1", attempt: 1, pid: 1, agent_pid: 1, host: hostname(), started_at: now(), updated_at: now() } };
      progress.tasks.t1 = { status: "in_progress", assignee: "w1", attempt: 1, started_at: now(), updated_at: now() };
    });
    const out = tempDir("codex-pidns-");
    // Inside the namespace, pid 1 is this shell; kill(-1) from the lead would reach every other process there.
    const script = [
      "sleep 300 & bystander=$!",
      '"$1" "$2" run --json >"$3/stdout" 2>"$3/stderr"',
      'echo "lead=$?"',
      'if kill -0 "$bystander" 2>/dev/null; then echo bystander=alive; else echo bystander=dead; fi',
      'kill "$bystander" 2>/dev/null; exit 0',
    ].join("\n");
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CODEX_")));
    const result = spawnSync("unshare", ["--fork", "--pid", "--mount-proc", "sh", "-c", script, "sh", node, leadBin, out], { cwd: repo.root, env, encoding: "utf8", timeout: 120_000 });
    const story = `${result.stdout}${result.stderr}\n${readFileSync(path.join(out, "stderr"), "utf8")}`;
    expect(result.stdout.split("\n"), story).toEqual(["lead=0", "bystander=alive", ""]);
    const progress = repo.progress();
    expect(progress.tasks["t1"]).toMatchObject({ status: "completed", attempt: 2 });
    expect(progress.tasks["t1"]?.attempts?.[0]?.reason).toContain("pid 1");
  }, 150_000);
});

describe("worker ids are checked where they enter", () => {
  it.each([
    ["..", 'worker id ".." cannot be used: it contains ".."'],
    ["team/w1", 'worker id "team/w1" cannot be used: it contains a path separator "/"'],
    ["../../x", 'worker id "../../x" cannot be used: it contains a path separator "/", contains ".."'],
    ["", 'worker id "" cannot be used: it is empty'],
    [".git", 'worker id ".git" cannot be used: it starts with "."'],
  ])("codex-worker --id %j is refused with exit 2 before anything is written", async (id, message) => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const before = readFileSync(path.join(repo.dir, "progress.json"), "utf8");
    const result = await repo.worker(["--cwd", repo.root, "--id", id, "--heartbeat", "200ms"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(path.join(repo.dir, "progress.json"), "utf8")).toBe(before);
  }, 60_000);

  it("a progress.json key unsafe as a folder name never becomes a path: processes under the folder it names survive", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const outside = tempDir("codex-outside-");
    const bystanderPid = bystander(outside);
    // .codex/worktrees/<key> is the folder outside the repository.
    const key = path.relative(path.join(repo.dir, "worktrees"), outside);
    writeProgress(repo, (progress) => {
      progress.workers = { [key]: { status: "busy", pid: deadPid(), host: hostname(), started_at: now(), updated_at: now() } };
    });
    const run = repo.start();
    expect(await run.waitForExit(60_000), run.describe()).toEqual({ code: 0, signal: null });
    expect(isAlive(bystanderPid), run.describe()).toBe(true);
    expect(run.of("run.note").map((e) => e.message)).toContain(`ignored the worker entry ${JSON.stringify(key)} in .codex/progress.json: its key is not a safe worker id (remove the entry)`);
    expect(run.of("task.assigned").map((e) => e.worker)).not.toContain(key);
  }, 90_000);

  it("a second live worker with the same id is refused; the first keeps its entry", async () => {
    const repo = await RunRepo.create([{ id: "t1", command: agent("run-hold.mjs", "t1", "none", "t1.txt") }]);
    const first = spawn(node, [workerBin, "--cwd", repo.root, "--id", "w1", "--heartbeat", "200ms"], { cwd: repo.root, detached: true, stdio: "ignore" });
    started.push(first);
    await waitFor("the first worker to register", () => repo.progress().workers?.["w1"]?.pid === first.pid, 20_000);
    const second = await repo.worker(["--cwd", repo.root, "--id", "w1", "--heartbeat", "200ms"]);
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toContain(`worker id w1 is taken by a live worker (pid ${first.pid})`);
    expect(repo.progress().workers?.["w1"]?.pid).toBe(first.pid);
    expect(isAlive(first.pid ?? 0)).toBe(true);
  }, 60_000);
});
