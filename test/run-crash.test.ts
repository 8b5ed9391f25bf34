// codex-lead run when processes die or freeze: a worker SIGKILLed, a worker SIGSTOPped past its lease
// (and its late writes fenced off), the lead SIGKILLed and started again.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { agent, isAlive, recordedWorkerAlive, RunRepo, signal } from "./helpers/run-harness.js";
import { distDir, workerBin } from "./helpers/temp.js";

type IntegrateModule = typeof import("../src/lead/integrate.js");

describe("codex-lead run: crashes and stalls", () => {
  it("stops, at the end of a run, a live worker of a lead that died, even one that joined after the start", async () => {
    const repo = await RunRepo.create([{ id: "t", command: agent("run-hold.mjs", "t", "1", "t.txt") }]);
    const run = repo.start();
    await run.until("attempt 1 to be working", () => repo.hasMark("t-a1"));
    // A worker whose lead is gone, appearing after the lead's start (which adopts such workers then): it is
    // not given work, and it would wait seconds to be adopted before leaving by itself.
    const gone = spawnSync("true").pid;
    const orphan = spawn(process.execPath, [workerBin, "--cwd", repo.root, "--lead-pid", String(gone), "--heartbeat", "200ms"], { detached: true, stdio: "ignore" });
    const orphanId = `w${orphan.pid}`;
    try {
      await run.until("the orphan worker to register", () => repo.progress().workers?.[orphanId]);
      repo.mark("release-t");
      expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });
      // Adopted and stopped by the lead before it exited: marked exited, and gone well before its own 5 s grace.
      expect(repo.progress().workers?.[orphanId]?.status).toBe("exited");
      await run.until("the orphan worker to be gone", () => !isAlive(orphan.pid ?? 0), 2_500);
    } finally {
      orphan.kill("SIGKILL");
    }
  });

  it("reassigns the task of a SIGKILLed worker; attempt 2 completes with one tag", async () => {
    const repo = await RunRepo.create([{ id: "t", command: agent("run-hold.mjs", "t", "1", "t.txt") }]);
    const run = repo.start();
    await run.until("attempt 1 to be working", () => repo.hasMark("t-a1"));
    const first = repo.assigneeOf("t");
    const firstAgent = repo.markPid("t-a1");
    // The worker records its agent's pid just after spawning it; kill it only once that is on file.
    await run.until("the agent's pid in progress.json", () => repo.progress().workers?.[first.worker]?.agent_pid === firstAgent);
    // The lead wrote "assigned"; the worker's first heartbeat says the attempt is working.
    await run.until("the first heartbeat to say working", () => repo.task("t").detail === "working");

    expect(signal(first.pid, "SIGKILL")).toBe(true);
    await run.waitForEvent("task.assigned", (e) => e.task === "t" && e.attempt === 2);
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    const task = repo.task("t");
    expect(task).toMatchObject({ status: "completed", attempt: 2, tag: "codex/task/t" });
    expect(task.attempts).toHaveLength(1);
    expect(task.attempts?.[0]).toMatchObject({ attempt: 1, worker: first.worker, outcome: "exited" });
    expect(task.attempts?.[0]?.reason).toContain("SIGKILL");
    expect([...repo.tags().keys()]).toEqual(["codex/task/t"]);
    expect(repo.taskCommits().get("t")).toEqual([repo.tags().get("codex/task/t")]);
    expect(repo.show("codex/integration", "t.txt")).toBe("t attempt 2\n");
    // The dead worker's agent does not outlive its attempt for long.
    await run.until("attempt 1's agent to be gone", () => !isAlive(firstAgent), 10_000);
  });

  it("reassigns a SIGSTOPped worker's task after the stall timeout; its late report, result and commit are refused", async () => {
    const repo = await RunRepo.create([{ id: "t", command: agent("run-hold.mjs", "t", "1,2", "t.txt") }], { stall_timeout: "3s" });
    const run = repo.start();
    await run.until("attempt 1 to be working", () => repo.hasMark("t-a1"));
    const first = repo.assigneeOf("t");
    const firstAgent = repo.markPid("t-a1");
    const base = repo.task("t").base;
    await run.until("the agent's pid in progress.json", () => repo.progress().workers?.[first.worker]?.agent_pid === firstAgent);

    expect(signal(first.pid, "SIGSTOP")).toBe(true);
    const stalled = await run.waitForEvent("worker.stalled", (e) => e.task === "t", { timeoutMs: 20_000 });
    expect(stalled).toMatchObject({ worker: first.worker, attempt: 1 });
    expect(stalled.silentMs).toBeGreaterThanOrEqual(3_000);
    await run.waitForEvent("task.assigned", (e) => e.task === "t" && e.attempt === 2);
    signal(first.pid, "SIGCONT"); // it may be dead already: the lead kills a stalled worker's group
    await run.until("attempt 2 to be working", () => repo.hasMark("t-a2"));
    // Attempt 2's own first heartbeat changes its detail: wait for it, so only a late write could change it after.
    await run.until("attempt 2's first heartbeat", () => repo.task("t").detail === "working");
    const second = repo.assigneeOf("t");
    expect(second.worker).not.toBe(first.worker);

    // The paused worker wakes up late: its report and result, with the token of attempt 1, change nothing.
    const oldToken = { CODEX_ROOT: repo.root, CODEX_TASK: "t", CODEX_ATTEMPT: "1", CODEX_WORKER: first.worker };
    const watched = (t: ReturnType<RunRepo["task"]>) => ({ status: t.status, attempt: t.attempt, assignee: t.assignee, percent: t.percent, detail: t.detail, result: t.result });
    const during = watched(repo.task("t"));
    const report = await repo.worker(["report", "--progress", "10", "--detail", "late"], oldToken);
    expect(report.code, report.stderr).not.toBe(0);
    expect(report.stderr).toContain("report refused: attempt 1 is not the current attempt 2");
    const result = await repo.worker(["result", '{"late":true}'], oldToken);
    expect(result.code, result.stderr).not.toBe(0);
    expect(watched(repo.task("t"))).toEqual(during);
    const refusals = repo.auditEvents().filter((e) => e["type"] === "stale_token_refused");
    expect(refusals.map((e) => [e["task"], e["attempt"], e["worker"], String(e["reason"]).split(":")[0]])).toEqual([
      ["t", 1, first.worker, "report refused"],
      ["t", 1, first.worker, "result refused"],
    ]);

    // Its late commit (on attempt 1's base, with attempt 1's trailers) is refused by integrate() for the
    // current attempt; nothing moves.
    const late = repo.git(["commit-tree", `${base}^{tree}`, "-p", `${base}`, "-m", `t: late\n\nTask: t\nAttempt: 1\nWorker: ${first.worker}`]);
    const integrationBefore = repo.git(["rev-parse", "refs/heads/codex/integration"]);
    const { integrate } = (await import(pathToFileURL(path.join(distDir, "lead", "integrate.js")).href)) as IntegrateModule;
    const refused = await integrate({ root: repo.root, integrationBranch: "codex/integration", task: "t", attempt: 2, commit: late });
    expect(refused).toEqual({ ok: false, kind: "refused", reason: `commit ${late.slice(0, 12)} carries Task: t, Attempt: 1, not t attempt 2` });
    expect(repo.git(["rev-parse", "refs/heads/codex/integration"])).toBe(integrationBefore);
    expect(repo.tags().size).toBe(0);

    repo.mark("release-t");
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    const task = repo.task("t");
    expect(task).toMatchObject({ status: "completed", attempt: 2, tag: "codex/task/t" });
    expect(task.attempts?.map((a) => [a.attempt, a.worker, a.outcome])).toEqual([[1, first.worker, "stalled"]]);
    expect([...repo.tags().keys()]).toEqual(["codex/task/t"]);
    expect(repo.taskCommits().get("t")).toEqual([repo.tags().get("codex/task/t")]);
    expect(repo.show("codex/integration", "t.txt")).toBe("t attempt 2\n");
    expect(() => repo.git(["merge-base", "--is-ancestor", late, "refs/heads/codex/integration"])).toThrow();
    expect(isAlive(first.pid)).toBe(false);
    expect(isAlive(firstAgent)).toBe(false);

    // After the run, a late report still changes nothing, byte for byte.
    const before = JSON.stringify(repo.task("t"));
    expect((await repo.worker(["report", "--progress", "10", "--detail", "late"], oldToken)).code).not.toBe(0);
    expect(JSON.stringify(repo.task("t"))).toBe(before);
  });

  it("finishes after the lead is SIGKILLed mid-run and started again; nothing completed is redone", async () => {
    const ids = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"];
    const deps: Record<string, string[]> = { s3: ["s1"], s4: ["s2"], s5: ["s3", "s4"], s6: ["s1"], s7: ["s5"], s8: ["s6", "s7"] };
    const repo = await RunRepo.create(ids.map((id) => ({ id, deps: deps[id] ?? [], command: agent("run-log.mjs", `${id}.txt`) })));

    const first = repo.start();
    await first.until("two subtasks to complete", () => first.of("task.completed").length >= 2);
    expect(signal(first.pid, "SIGKILL")).toBe(true); // the lead alone: its workers live on
    expect(await first.waitForExit(5_000)).toEqual({ code: null, signal: "SIGKILL" });
    const doneBeforeKill = [...repo.tags().keys()].map((tag) => tag.slice("codex/task/".length));
    expect(doneBeforeKill.length).toBeGreaterThanOrEqual(2);

    const second = repo.start();
    const exit = await second.waitForExit();
    expect(exit, `${second.describe()}\n--- first run:\n${first.describe()}`).toEqual({ code: 0, signal: null });
    expect(second.finished().snapshot.counts.completed).toBe(8);

    // Every subtask ran exactly once over both runs; the ones done before the kill kept attempt 1.
    expect(repo.markLines("run.log").sort()).toEqual(ids);
    for (const id of doneBeforeKill) {
      expect(repo.task(id), id).toMatchObject({ status: "completed", attempt: 1 });
      expect(repo.task(id).attempts, id).toBeUndefined();
    }
    for (const id of ids) expect(repo.task(id).status, id).toBe("completed");
    const tags = repo.tags();
    const commits = repo.taskCommits();
    expect([...tags.keys()].sort()).toEqual(ids.map((id) => `codex/task/${id}`));
    for (const id of ids) expect(commits.get(id), id).toEqual([tags.get(`codex/task/${id}`)]);

    // No worker (of either lead) or agent is left running.
    await second.until("no process left working in the repository", () => repo.processes().length === 0, 10_000);
    const workers = Object.entries(repo.progress().workers ?? {});
    expect(workers.length).toBeGreaterThan(0);
    for (const [id, worker] of workers) expect(recordedWorkerAlive(worker), `worker ${id} (pid ${worker.pid})`).toBe(false);
  });
});
