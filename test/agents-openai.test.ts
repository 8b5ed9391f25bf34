// The openai agent driven by real workers of a real run, against a fake model server on 127.0.0.1 speaking the real
// protocol to the real SDK: usage per attempt and in total, budgets, and a worker killed mid-attempt.
import { afterEach, describe, expect, it } from "vitest";
import type { Usage } from "../src/schema/common.js";
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply, type RecordedRequest } from "./helpers/fake-openai-server.js";
import { RunRepo, signal } from "./helpers/run-harness.js";

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A config naming the fake server as profile "fake" (chat API), the default agent of every subtask. */
function openaiConfig(baseURL: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { agent: "fake", agents: { fake: { type: "openai", base_url: baseURL, api: "chat", model: "fake-model", max_turns: 2 } }, ...more };
}

const KEY = { OPENAI_API_KEY: "test-key" };

/** task:attempt:turn of a model call (the Idempotency-Key the agent sends with each). */
const keyOf = (request: RecordedRequest | undefined): string => String(request?.headers["idempotency-key"] ?? "");

const write = (file: string, content: string, usage = { input_tokens: 1500, output_tokens: 500 }): FakeReply => ({
  toolCalls: [{ name: "write_file", arguments: { path: file, content } }],
  usage,
});
const finish = (summary: string, usage = { input_tokens: 2000, output_tokens: 100 }): FakeReply => ({
  toolCalls: [{ name: "finish", arguments: { summary } }],
  usage,
});

/**
 * A model for subtask `id` cut off in its second call: attempt 1 writes `file`, then its second call never gets an
 * answer (until `release`); attempt 2, replaying the record, makes turn 2 and finishes. Any other call is refused.
 */
async function cutOffModel(id: string, file: string, content: string, summary: string): Promise<{ server: FakeOpenAIServer; release: () => void }> {
  let release: (() => void) | undefined;
  const started = await startFakeOpenAI({
    handler: (request) => {
      const key = keyOf(request);
      if (key === `${id}:1:0`) return write(file, content);
      if (key === `${id}:1:1`) return new Promise<FakeReply>((resolve) => (release = () => resolve({ destroy: true })));
      if (key === `${id}:2:2`) return finish(summary);
      return { status: 400, error: `unexpected call ${key}` };
    },
  });
  return { server: started, release: () => release?.() };
}

/** The fake server's profile with the default turn limit (50). */
const plainConfig = (baseURL: string) => openaiConfig(baseURL, { agents: { fake: { type: "openai", base_url: baseURL, api: "chat", model: "m" } } });

describe("agents: the openai kind in a run", () => {
  it("records each attempt's usage in progress.json (per attempt and in total), in events and in status --json", async () => {
    server = await startFakeOpenAI({
      handler: (request) => {
        const key = keyOf(request);
        // Attempt 1 never calls finish: it runs out of turns (max_turns 2) and fails; attempt 2 completes.
        if (key === "o1:1:0") return write("o1.txt", "first try\n");
        if (key === "o1:1:1") return { toolCalls: [{ name: "list_files", arguments: {} }], usage: { input_tokens: 1800, output_tokens: 50 } };
        if (key === "o1:2:0") return write("o1.txt", "second try\n");
        if (key === "o1:2:1") return finish("wrote o1.txt");
        return { status: 400, error: `unexpected call ${key}` };
      },
    });
    const repo = await RunRepo.create([{ id: "o1", description: "write o1.txt" }], openaiConfig(server.baseURL));
    const run = repo.start([], undefined, KEY);
    const exit = await run.waitForExit(60_000);

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(server.requests.map(keyOf)).toEqual(["o1:1:0", "o1:1:1", "o1:2:0", "o1:2:1"]);
    const task = repo.task("o1");
    const first: Usage = { input_tokens: 3300, cached_input_tokens: 0, output_tokens: 550, reasoning_tokens: 0, calls: 2, credits: 4 };
    const second: Usage = { input_tokens: 3500, cached_input_tokens: 0, output_tokens: 600, reasoning_tokens: 0, calls: 2, credits: 5 };
    expect(task).toMatchObject({ status: "completed", attempt: 2, final_message: "wrote o1.txt" });
    expect(task.attempts?.map((a) => [a.attempt, a.outcome, a.usage])).toEqual([
      [1, "failed", first],
      [2, "completed", second],
    ]);
    expect(task.usage).toEqual({ input_tokens: 6800, cached_input_tokens: 0, output_tokens: 1150, reasoning_tokens: 0, calls: 4, credits: 9 });
    expect(repo.show("codex/task/o1", "o1.txt")).toBe("second try\n");

    const events = repo.auditEvents();
    const handoffs = events.filter((e) => e.type === "attempt.handoff" && e.task === "o1");
    expect(handoffs.map((e) => (e.data as { usage?: Usage }).usage)).toEqual([first, second]);
    const statuses = events.filter((e) => e.type === "task.status" && e.task === "o1" && e.by === "lead" && e.from === "in_progress");
    expect(statuses.map((e) => [e.to, (e.data as { usage?: Usage }).usage])).toEqual([
      ["not_started", first],
      ["completed", second],
    ]);

    const status = await repo.lead(["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const summary = JSON.parse(status.stdout) as { usage: Record<string, number>; taskUsage: { id: string; usage: Usage }[] };
    expect(summary.usage).toMatchObject({ input_tokens: 6800, output_tokens: 1150, credits: 9 });
    expect(summary.taskUsage).toEqual([{ id: "o1", usage: task.usage }]);
    const text = await repo.lead(["status"]);
    expect(text.stdout).toMatch(/Usage by subtask\n {2}o1 {2}9 credits, 6800\/1150 tokens in\/out {2}4 calls\n/);
    expect(text.stdout).toContain("Usage: 6800 input tokens, 1150 output tokens, 9 credits");
    const report = await repo.lead(["report"]);
    expect(report.stdout).toContain("- ✓ subtask o1 (`o1`) — 9 credits");
    expect(report.stdout).toContain("**Usage**: 9 credits (6800 input, 1150 output tokens) over 1 subtask");
    const checkpoints = await repo.lead(["checkpoints"]);
    expect(checkpoints.stdout).toMatch(/^o1 .* 6800\/1150 tok, 9 cr$/m);
    expect(checkpoints.stdout).toContain("total: 9 credits over 1 checkpoint(s) with usage");
  });

  it("a spent budget blocks the task with the reason after at most one call past it; no attempt starts for it again", async () => {
    server = await startFakeOpenAI({
      // It never finishes: every call asks for another look around (1.5 credits a call).
      handler: () => ({ toolCalls: [{ name: "list_files", arguments: {} }], usage: { input_tokens: 1000, output_tokens: 500 } }),
    });
    const repo = await RunRepo.create([{ id: "b1", budget: 3 }], plainConfig(server.baseURL));
    const run = repo.start([], undefined, KEY);
    const exit = await run.waitForExit(60_000);

    expect(exit, run.describe()).toEqual({ code: 4, signal: null });
    const reason = "budget exhausted: used 3 of 3 credits — raise `budget` of b1 and unblock";
    // Call 1 left 1.5 credits spent (under 3); call 2 reached 3; none after.
    expect(server.requests.map(keyOf)).toEqual(["b1:1:0", "b1:1:1"]);
    expect(repo.task("b1")).toMatchObject({ status: "blocked", reason, attempt: 1, usage: { calls: 2, credits: 3 } });
    expect(run.of("task.blocked")).toEqual([expect.objectContaining({ task: "b1", reason })]);

    // Unblocked without a bigger budget: the lead blocks it again before any attempt starts, so no call is made.
    const unblock = await repo.lead(["unblock", "b1"]);
    expect(unblock.code, unblock.stderr).toBe(0);
    const again = repo.start([], undefined, KEY);
    expect(await again.waitForExit(60_000), again.describe()).toEqual({ code: 4, signal: null });
    expect(server.requests).toHaveLength(2);
    expect(again.of("task.assigned")).toEqual([]);
    expect(repo.task("b1")).toMatchObject({ status: "blocked", reason, attempt: 1 });
  });

  it("a worker SIGKILLed mid-attempt: the next attempt continues from the kept work and repeats no recorded call", async () => {
    // The worker is killed while attempt 1 waits for its second answer; attempt 2 replays the record, so its first
    // call is turn 2 (turn 1, in flight at the kill, is charged as spent).
    const model = await cutOffModel("k1", "a.txt", "from attempt 1\n", "a.txt written");
    server = model.server;
    const repo = await RunRepo.create([{ id: "k1" }], plainConfig(server.baseURL));
    const run = repo.start([], undefined, KEY);
    await run.until("the second call of attempt 1", () => server?.requests.some((r) => keyOf(r) === "k1:1:1"));
    const { pid } = repo.assigneeOf("k1");
    expect(signal(pid, "SIGKILL")).toBe(true);
    const exit = await run.waitForExit(60_000);
    model.release();

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    // Turn 0 was answered and recorded by attempt 1: attempt 2 does not ask it again, it replays the answer.
    expect(server.requests.map(keyOf)).toEqual(["k1:1:0", "k1:1:1", "k1:2:2"]);
    expect(JSON.stringify(server.requests[2]?.body.messages)).toContain("write_file");
    const task = repo.task("k1");
    expect(task).toMatchObject({ status: "completed", attempt: 2, final_message: "a.txt written" });
    expect(task.attempts?.map((a) => [a.attempt, a.outcome, a.usage?.calls])).toEqual([
      [1, "exited", 2],
      [2, "completed", 1],
    ]);
    expect(task.usage?.calls).toBe(3);
    // The work of attempt 1 (a.txt) reached the integration branch through attempt 2, in one commit.
    expect(repo.show("codex/task/k1", "a.txt")).toBe("from attempt 1\n");
    expect(repo.taskCommits().get("k1")).toHaveLength(1);
  });

  it("a run interrupted mid-attempt: the next run continues the attempt from its kept work; its spending is charged", async () => {
    const model = await cutOffModel("i1", "i.txt", "before the interruption\n", "i.txt kept");
    server = model.server;
    const repo = await RunRepo.create([{ id: "i1" }], plainConfig(server.baseURL));
    const first = repo.start([], undefined, KEY);
    await first.until("the second call of attempt 1", () => server?.requests.some((r) => keyOf(r) === "i1:1:1"));
    expect(signal(first.pid, "SIGINT")).toBe(true);
    expect(await first.waitForExit(60_000), first.describe()).toEqual({ code: 130, signal: null });
    model.release();
    // Attempt 1 handed nothing off: what its record says it spent (one answer, one call in flight) is charged.
    expect(repo.task("i1")).toMatchObject({ status: "not_started", attempt: 1, usage: { calls: 2 } });
    expect(repo.show("codex/work/i1/a1", "i.txt")).toBe("before the interruption\n");

    const second = repo.start([], undefined, KEY);
    expect(await second.waitForExit(60_000), second.describe()).toEqual({ code: 0, signal: null });
    expect(server.requests.map(keyOf)).toEqual(["i1:1:0", "i1:1:1", "i1:2:2"]);
    expect(repo.task("i1")).toMatchObject({ status: "completed", attempt: 2, usage: { calls: 3 }, final_message: "i.txt kept" });
    expect(repo.show("codex/task/i1", "i.txt")).toBe("before the interruption\n");
  });

  it("run --max-credits: once the run spent its cap no attempt starts, the running ones finish, and the run exits 6", async () => {
    server = await startFakeOpenAI({
      // Every subtask: one write, then finish — 5 credits (4100 tokens).
      handler: (request) => {
        const [task = "", , turn] = keyOf(request).split(":");
        return turn === "0" ? write(`${task}.txt`, `${task}\n`) : finish(`${task} done`);
      },
    });
    const repo = await RunRepo.create(
      [{ id: "c1" }, { id: "c2", deps: ["c1"] }, { id: "c3", deps: ["c2"] }],
      openaiConfig(server.baseURL),
    );
    const run = repo.start(["--max-credits", "5"], undefined, KEY);
    const exit = await run.waitForExit(60_000);

    expect(exit, run.describe()).toEqual({ code: 6, signal: null });
    expect(server.requests.map(keyOf)).toEqual(["c1:1:0", "c1:1:1"]);
    expect(repo.task("c1")).toMatchObject({ status: "completed", usage: { credits: 5 } });
    expect(repo.progress().tasks["c2"]?.status ?? "not_started").toBe("not_started");
    expect(run.of("task.assigned").map((e) => e.task)).toEqual(["c1"]);
    const said = "run budget reached: 5 of 5 credits spent in this run — running attempts finish, no new one starts";
    expect(run.finished().waiting[0]).toBe(said);
    expect(repo.auditEvents().filter((e) => e.type === "run.budget_reached").map((e) => e.reason)).toEqual([said]);
  });
});
