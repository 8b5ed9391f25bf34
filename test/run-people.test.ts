// People steering a run that is going: block and unblock, an added subtask, an invalid save, cancel, a note.
import { describe, expect, it } from "vitest";
import { agent, fixture, node, RunRepo, type SubtaskSpec } from "./helpers/run-harness.js";

/** `codex-lead edit progress` with a scripted editor that sets the given fields (the person's edit, merged under the lock). */
function editProgress(repo: RunRepo, set: { path: string[]; value: unknown }[]) {
  return repo.lead(["edit", "progress"], { EDITOR: `${node} ${fixture("editor-set.mjs")}`, VISUAL: "", CODEX_TEST_SET: JSON.stringify(set) });
}

describe("codex-lead run: people edit mid-run", () => {
  it("stops a running task set to blocked and keeps its work; runs it again once unblocked; schedules an added subtask", async () => {
    const plan: SubtaskSpec[] = [
      { id: "hold", command: agent("run-hold.mjs", "hold", "1", "hold.txt") },
      // Keeps the run going while hold is blocked (a run with only blocked work left ends).
      { id: "keeper", command: agent("run-hold.mjs", "keeper", "all", "keeper.txt") },
    ];
    const repo = await RunRepo.create(plan);
    const run = repo.start();
    await run.until("hold and keeper to be working", () => repo.hasMark("hold-a1") && repo.hasMark("keeper-a1"));
    const holdAgent = repo.markPid("hold-a1");
    const holdWorker = repo.assigneeOf("hold").worker;

    const edit = await editProgress(repo, [
      { path: ["tasks", "hold", "status"], value: "blocked" },
      { path: ["tasks", "hold", "reason"], value: "on hold by a person" },
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    await run.until("hold's agent to stop", () => !repo.processes().includes(holdAgent), 10_000);
    await run.until("hold's work to be kept on its branch", () => repo.show("codex/work/hold/a1", "hold.txt.wip"), 10_000);
    expect(repo.git(["log", "-1", "--format=%(trailers:key=Codex-WIP,valueonly)", "codex/work/hold/a1"])).toBe("true");
    await run.until(`${holdWorker} to be free again`, () => repo.progress().workers?.[holdWorker]?.status === "idle");
    // A subtask added to features.json (saved by rename, as editors do) is scheduled on the free worker,
    // while hold stays blocked: the lead went round, found a worker free, and did not start hold again.
    repo.writePlan([...plan, { id: "added", command: agent("agent-write-file.mjs", "added.txt", "added mid-run") }]);
    await run.waitForEvent("task.completed", (e) => e.task === "added");
    expect(repo.task("hold")).toMatchObject({ status: "blocked", reason: "on hold by a person", attempt: 1 });
    expect(run.of("task.assigned").filter((e) => e.task === "hold").map((e) => e.attempt)).toEqual([1]);

    const unblock = await repo.lead(["unblock", "hold"]);
    expect(unblock.code, unblock.stderr).toBe(0);
    await run.waitForEvent("task.completed", (e) => e.task === "hold" && e.attempt === 2);
    expect(run.of("task.completed").some((e) => e.task === "keeper")).toBe(false);

    repo.mark("release-keeper");
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(run.finished().snapshot.counts).toMatchObject({ completed: 3, blocked: 0 });
    expect(repo.show("codex/integration", "hold.txt")).toBe("hold attempt 2\n");
    expect(repo.show("codex/integration", "added.txt")).toBe("added mid-run\n");
    expect([...repo.tags().keys()].sort()).toEqual(["codex/task/added", "codex/task/hold", "codex/task/keeper"]);
    for (const [task, shas] of repo.taskCommits()) expect(shas, task).toHaveLength(1);
  });

  it("pauses on an invalid save of features.json, assigns nothing until it is fixed, then resumes and completes", async () => {
    const plan: SubtaskSpec[] = [
      { id: "keeper", command: agent("run-hold.mjs", "keeper", "1", "keeper.txt") },
      { id: "later", deps: ["keeper"], command: agent("agent-write-file.mjs", "later.txt", "later") },
    ];
    const repo = await RunRepo.create(plan);
    const run = repo.start();
    await run.until("keeper to be working", () => repo.hasMark("keeper-a1"));

    // A forgotten comma, as people make them.
    repo.writeFeaturesText('{\n  "features": []\n  "oops": 1\n}\n');
    const paused = await run.waitForEvent("run.paused", (e) => e.message.includes("features.json"));
    expect(paused.message).toBe(".codex/features.json is invalid: line 3, column 3: Expected ',' or '}' after property value — scheduling is paused until the plan is fixed");
    const pausedAt = run.events.indexOf(paused);

    // While paused, keeper finishes and hands off, which makes later ready; a second, different invalid save
    // shows the lead still reading the file after that, and still assigning nothing.
    repo.mark("release-keeper");
    // The lead merges hand-offs while paused, possibly before we look: a completion counts too.
    await run.until("keeper's hand-off", () => repo.task("keeper").handoff?.outcome === "succeeded" || repo.task("keeper").status === "completed");
    const broken = `${JSON.stringify({ features: [{ id: "f", feature: "run test", subtasks: [{ id: "later", name: "later", deps: ["nope"] }] }] }, null, 2)}\n`;
    repo.writeFeaturesText(broken);
    await run.waitForEvent("run.paused", (e) => e.message.includes("nope"), { from: pausedAt + 1 });
    expect(run.events.slice(pausedAt).filter((e) => e.type === "task.assigned")).toEqual([]);
    expect(repo.progress().tasks["later"]?.status ?? "not_started").toBe("not_started");
    expect(repo.featuresText()).toBe(broken); // the person's save is left exactly as written

    repo.writePlan(plan);
    await run.waitForEvent("run.resumed", () => true, { from: pausedAt + 1 });
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(repo.task("keeper")).toMatchObject({ status: "completed", attempt: 1 });
    expect(repo.task("later")).toMatchObject({ status: "completed", attempt: 1 });
    expect([...repo.tags().keys()].sort()).toEqual(["codex/task/keeper", "codex/task/later"]);
  });

  it("cancel of a running task stops it and leaves it blocked; the run ends with exit 4 and says what waits", async () => {
    const repo = await RunRepo.create([
      { id: "t", command: agent("run-hold.mjs", "t", "all", "t.txt") },
      { id: "u", deps: ["t"], command: agent("agent-write-file.mjs", "u.txt") },
    ]);
    const run = repo.start();
    await run.until("t to be working", () => repo.hasMark("t-a1"));
    const tAgent = repo.markPid("t-a1");
    const tWorker = repo.assigneeOf("t").worker;

    const cancel = await repo.lead(["cancel", "t"]);
    expect(cancel.code, cancel.stderr).toBe(0);
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 4, signal: null });
    const task = repo.task("t");
    expect(task).toMatchObject({ status: "blocked", attempt: 1 });
    expect(task.reason).toContain("cancel");
    expect(task.attempts?.map((a) => [a.attempt, a.worker, a.outcome])).toEqual([[1, tWorker, "cancelled"]]);
    const finished = run.finished();
    expect(finished.exitCode).toBe(4);
    expect(finished.waiting).toEqual(["t: blocked (cancelled by a person)", "u: not_started, waits on t"]);
    await run.until("t's agent to be gone", () => !repo.processes().includes(tAgent), 10_000);
    await run.until("t's work to be kept on its branch", () => repo.show("codex/work/t/a1", "t.txt.wip"), 10_000);
    expect(repo.tags().size).toBe(0);
  });

  it("send delivers a note to the running shell agent through $CODEX_NOTES_FILE", async () => {
    const repo = await RunRepo.create([{ id: "n", command: agent("run-notes.mjs", "n", "note.txt") }]);
    const run = repo.start();
    await run.until("n to be working", () => repo.hasMark("n-a1"));

    const send = await repo.lead(["send", "n", "use tabs, not spaces"]);
    expect(send.code, send.stderr).toBe(0);
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(repo.show("codex/integration", "note.txt")).toMatch(/^\[.+\] note from person: use tabs, not spaces\n$/);
    const note = repo.inbox("n").messages.find((m) => m.kind === "note");
    expect(note).toMatchObject({ text: "use tabs, not spaces", from: "person", acked_by: run.of("task.assigned")[0]?.worker, acked_at: expect.any(String) });
  });
});
