// The operations on the files: summary, the people's task commands and their refusals, progress reports, inbox, init.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CodexError } from "../src/errors.js";
import { ackMessages, pendingMessages, sendMessage } from "../src/ops/inbox.js";
import { CODEX_GITIGNORE, initRepo } from "../src/ops/init.js";
import { pipelineSummary } from "../src/ops/summary.js";
import { blockTask, cancelTask, retryTask, unblockTask, updateTaskProgress } from "../src/ops/task-commands.js";
import { buildPlan } from "../src/plan/plan.js";
import type { ProgressFile } from "../src/schema/progress.js";
import { CodexStore } from "../src/store/codex-store.js";
import { readEvents } from "../src/store/events-log.js";
import { canonicalJson } from "../src/util/json-text.js";
import { repoRoot, tempDir, tempRepo } from "./helpers/temp.js";

const PLAN = {
  features: [
    { id: "auth", feature: "Auth", subtasks: [{ id: "auth-model", name: "Model", budget: 2 }, { id: "auth-login", name: "Login", deps: ["auth-model"], budget: 3 }] },
    { id: "ui", feature: "UI", subtasks: [{ id: "ui-form", name: "Form", deps: ["auth-login"] }, { id: "ui-style", name: "Style" }] },
  ],
};

async function storeWith(progress: ProgressFile): Promise<CodexStore> {
  const store = new CodexStore(tempRepo());
  writeFileSync(store.paths.features, canonicalJson(PLAN));
  writeFileSync(store.paths.progress, canonicalJson(progress));
  return store;
}

async function refusal(promise: Promise<unknown>): Promise<CodexError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof CodexError)) throw new Error(`expected a CodexError, got ${String(error)}`);
  return error;
}

describe("pipelineSummary", () => {
  const now = new Date("2026-01-01T12:00:00Z");
  const plan = buildPlan(PLAN);
  const progress: ProgressFile = {
    tasks: {
      "auth-model": { status: "failed", error: "exit code 1", attempts: [{ attempt: 1, outcome: "failed", at: "2026-01-01T11:00:00Z" }], updated_at: "2026-01-01T11:00:00Z", usage: { input_tokens: 100, output_tokens: 20, credits: 0.5 } },
      "ui-style": { status: "in_progress", assignee: "w1", attempt: 2, started_at: "2026-01-01T11:58:00Z", updated_at: "2026-01-01T11:59:30Z", percent: 40, detail: "colours", usage: { credits: 1 } },
      gone: { status: "completed", completed_at: "2026-01-01T11:59:50Z" },
    },
    workers: { w1: { status: "busy", task: "ui-style", attempt: 2, pid: 4242, host: "box", started_at: "2026-01-01T11:00:00Z", updated_at: "2026-01-01T11:59:55Z" } },
  };

  it("counts every status over the plan's tasks, with missing ones as not_started", () => {
    const summary = pipelineSummary(plan, progress, now);
    expect(summary.counts).toEqual({ not_started: 2, in_progress: 1, blocked: 0, completed: 0, failed: 1 });
    expect(summary.total).toBe(4);
    expect(summary.percentCompleted).toBe(0);
    expect(summary.unplanned).toEqual(["gone"]);
    expect(summary.lastUpdated).toBe("2026-01-01T11:59:55Z");
    expect(summary.usage).toEqual({ input_tokens: 100, output_tokens: 20, credits: 1.5 });
    expect(summary.budget).toBe(5);
  });

  it("lists running, failed and waiting tasks and the workers", () => {
    const summary = pipelineSummary(plan, progress, now);
    expect(summary.running).toEqual([
      {
        id: "ui-style",
        name: "Style",
        assignee: "w1",
        attempt: 2,
        startedAt: "2026-01-01T11:58:00Z",
        elapsedMs: 120_000,
        lastActivity: "2026-01-01T11:59:30Z",
        lastActivityAgoMs: 30_000,
        percent: 40,
        detail: "colours",
      },
    ]);
    expect(summary.failed).toEqual([{ id: "auth-model", name: "Model", reason: "exit code 1", attempts: 1 }]);
    expect(summary.blocked).toEqual([]);
    expect(summary.waiting).toEqual([
      { id: "auth-login", name: "Login", waitsOn: ["auth-model"] },
      { id: "ui-form", name: "Form", waitsOn: ["auth-model"] },
    ]);
    expect(summary.workers).toEqual([
      { id: "w1", status: "busy", task: "ui-style", attempt: 2, pid: 4242, host: "box", updatedAt: "2026-01-01T11:59:55Z", ageMs: 5000 },
    ]);
  });

  it("takes the latest timestamp as an instant, not as text: offsets and fractional digits vary", () => {
    const summary = pipelineSummary(null, {
      tasks: {
        a: { status: "completed", updated_at: "2026-01-01T12:30:00+02:00", completed_at: "2026-01-01T11:00:00.25Z" },
        b: { status: "completed", updated_at: "2026-01-01T11:00:00.5Z" },
        c: { status: "completed", updated_at: "2026-01-01T13:00:00.500+02:00" },
      },
    }, now);
    // 12:30+02:00 is 10:30Z; 11:00:00.5Z is later than 11:00:00.25Z; 13:00:00.500+02:00 is the same instant, so the first one stays.
    expect(summary.lastUpdated).toBe("2026-01-01T11:00:00.5Z");
  });

  it("says what each not_started task waits on, through unfinished deps, in plan order", () => {
    const chain = buildPlan({
      features: [
        {
          id: "f",
          feature: "F",
          subtasks: [
            { id: "later", name: "Later", deps: ["root2"] },
            { id: "root1", name: "Root 1" },
            { id: "root2", name: "Root 2" },
            { id: "mid", name: "Mid", deps: ["root1"] },
            { id: "tail", name: "Tail", deps: ["mid"] },
            { id: "both", name: "Both", deps: ["root2", "tail", "root1"] },
            { id: "done", name: "Done", deps: ["root1"] },
            { id: "after-done", name: "After done", deps: ["done"] },
            { id: "running", name: "Running", deps: ["root1"] },
          ],
        },
      ],
    });
    const summary = pipelineSummary(chain, {
      tasks: {
        root1: { status: "failed" },
        root2: { status: "blocked" },
        mid: { status: "in_progress" },
        done: { status: "completed" },
        running: { status: "in_progress" },
      },
    }, now);
    expect(summary.waiting).toEqual([
      { id: "later", name: "Later", waitsOn: ["root2"] },
      { id: "tail", name: "Tail", waitsOn: ["root1"] },
      { id: "both", name: "Both", waitsOn: ["root1", "root2"] },
    ]);
  });

  it("without a plan counts the tasks of progress.json", () => {
    const summary = pipelineSummary(null, progress, now);
    expect(summary.counts).toEqual({ not_started: 0, in_progress: 1, blocked: 0, completed: 1, failed: 1 });
    expect(summary.percentCompleted).toBe(33);
    expect(summary.waiting).toEqual([]);
  });
});

describe("task commands", () => {
  it("retry puts a failed task back to not_started, keeping the attempt and its history", async () => {
    const store = await storeWith({
      tasks: { "auth-model": { status: "failed", error: "boom", attempt: 3, not_before: "2030-01-01T00:00:00Z", attempts: [{ attempt: 3, outcome: "failed", at: "2026-01-01T00:00:00Z" }] } },
    });
    expect(await retryTask(store, "auth-model")).toEqual({ id: "auth-model", from: "failed", to: "not_started", reason: "retried by a person" });
    const task = (await store.progress.read()).tasks["auth-model"];
    expect(task?.status).toBe("not_started");
    expect(task?.error).toBeUndefined();
    expect(task?.not_before).toBeNull();
    expect(task?.attempt).toBe(3);
    expect(task?.attempts).toEqual([{ attempt: 3, outcome: "failed", at: "2026-01-01T00:00:00Z" }]);
    const { events } = await readEvents(store.paths.events);
    expect(events.map(({ type, task: id, from, to, reason, by }) => ({ type, id, from, to, reason, by }))).toEqual([
      { type: "task.status", id: "auth-model", from: "failed", to: "not_started", reason: "retried by a person", by: "person" },
    ]);
  });

  it("refuses to retry a completed task, naming its status and the next command", async () => {
    const store = await storeWith({ tasks: { "auth-model": { status: "completed" } } });
    const error = await refusal(retryTask(store, "auth-model"));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      "E_BAD_TRANSITION",
      2,
      'cannot retry task "auth-model": it is completed',
      "It is done; to redo it, run `codex-lead rollback auth-model`.",
    ]);
  });

  it("refuses an unknown task with a did-you-mean hint", async () => {
    const store = await storeWith({ tasks: {} });
    const error = await refusal(blockTask(store, "auth-modle"));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual(["E_UNKNOWN_TASK", 2, 'unknown task "auth-modle"', 'Did you mean "auth-model"?']);
    expect(existsSync(store.paths.events)).toBe(false);
  });

  it("block creates the entry of a planned task missing from progress.json; unblock reverses it", async () => {
    const store = await storeWith({ tasks: {} });
    expect(await blockTask(store, "ui-form", "needs a design")).toEqual({ id: "ui-form", from: "not_started", to: "blocked", reason: "needs a design" });
    expect((await store.progress.read()).tasks["ui-form"]).toMatchObject({ status: "blocked", reason: "needs a design" });
    expect((await blockTask(store, "ui-style")).reason).toBe("blocked by a person");
    expect(await unblockTask(store, "ui-form")).toEqual({ id: "ui-form", from: "blocked", to: "not_started", reason: "unblocked by a person" });
    expect((await store.progress.read()).tasks["ui-form"]?.reason).toBeUndefined();
  });

  it("a task already in the state asked for: said so, nothing written, no event", async () => {
    const store = await storeWith({
      tasks: {
        "auth-model": { status: "blocked", reason: "needs a design" },
        "auth-login": { status: "blocked", reason: "cancelled by a person", attempt: 1 },
        "ui-form": { status: "not_started" },
      },
    });
    const before = readFileSync(store.paths.progress, "utf8");
    expect(await blockTask(store, "auth-model", "another reason")).toEqual({
      id: "auth-model", from: "blocked", to: "blocked", reason: "needs a design", already: "auth-model is already blocked (needs a design)",
    });
    expect(await cancelTask(store, "auth-login")).toEqual({
      id: "auth-login", from: "blocked", to: "blocked", reason: "cancelled by a person", already: "auth-login is already blocked (cancelled by a person)",
    });
    expect((await cancelTask(store, "auth-model")).already).toBe("auth-model is already blocked (needs a design)");
    expect((await unblockTask(store, "ui-form")).already).toBe("ui-form is not blocked: it is not_started");
    expect((await retryTask(store, "ui-form")).already).toBe("ui-form is already not_started: it runs once its deps are completed");
    // A planned task progress.json has no entry for yet: looked at, not written.
    expect((await unblockTask(store, "ui-style")).already).toBe("ui-style is not blocked: it is not_started");
    expect(readFileSync(store.paths.progress, "utf8")).toBe(before);
    expect(existsSync(store.paths.events)).toBe(false);
    expect(existsSync(path.join(store.paths.inboxDir, "auth-login.json"))).toBe(false);
  });

  it("a transition that does not apply is still refused with exit 2, naming the command that does", async () => {
    const store = await storeWith({ tasks: { "auth-model": { status: "failed", error: "boom" }, "auth-login": { status: "completed" } } });
    const cases = [
      [() => unblockTask(store, "auth-model"), 'cannot unblock task "auth-model": it is failed', "Run `codex-lead retry auth-model` to run it again."],
      [
        () => cancelTask(store, "auth-model"),
        'cannot cancel task "auth-model": it is failed',
        "It is not running, and runs again only after `codex-lead retry auth-model`; to keep it from that, run `codex-lead block auth-model`.",
      ],
      [() => blockTask(store, "auth-login"), 'cannot block task "auth-login": it is completed', "It is done; to redo it, run `codex-lead rollback auth-login`."],
    ] as const;
    for (const [command, message, hint] of cases) {
      const error = await refusal(command());
      expect([error.code, error.exitCode, error.message, error.hint]).toEqual(["E_BAD_TRANSITION", 2, message, hint]);
    }
    expect(existsSync(store.paths.events)).toBe(false);
  });

  it("block of a running task stops it like the same edit by hand: blocked, attempt ended, cancel message sent", async () => {
    const store = await storeWith({ tasks: { "ui-style": { status: "in_progress", attempt: 1, assignee: "w1" } } });
    const result = await blockTask(store, "ui-style", "waiting for a design");
    expect([result.from, result.to, result.reason]).toEqual(["in_progress", "blocked", "waiting for a design"]);
    const task = (await store.progress.read()).tasks["ui-style"];
    expect([task?.status, task?.reason, task?.assignee, task?.attempt]).toEqual(["blocked", "waiting for a design", null, 1]);
    expect(task?.attempts?.map(({ attempt, worker, outcome }) => ({ attempt, worker, outcome }))).toEqual([{ attempt: 1, worker: "w1", outcome: "blocked" }]);
    const pending = await pendingMessages(store, "ui-style", { attempt: 1 });
    expect(pending.map((m) => [m.kind, m.worker, m.id === result.cancelMessage])).toEqual([["cancel", "w1", true]]);
  });

  it("cancel of a running task blocks it, ends the attempt and sends a cancel message for that attempt", async () => {
    const store = await storeWith({ tasks: { "ui-style": { status: "in_progress", attempt: 2, assignee: "w1", started_at: "2026-01-01T00:00:00Z" } } });
    const result = await cancelTask(store, "ui-style");
    expect([result.from, result.to, result.reason]).toEqual(["in_progress", "blocked", "cancelled by a person"]);
    const task = (await store.progress.read()).tasks["ui-style"];
    expect(task?.status).toBe("blocked");
    expect(task?.reason).toBe("cancelled by a person");
    expect(task?.assignee).toBeNull();
    expect(task?.attempt).toBe(2);
    expect(task?.attempts?.map(({ attempt, worker, outcome, reason }) => ({ attempt, worker, outcome, reason }))).toEqual([
      { attempt: 2, worker: "w1", outcome: "cancelled", reason: "cancelled by a person" },
    ]);
    const pending = await pendingMessages(store, "ui-style", { attempt: 2 });
    expect(pending.map(({ id, kind, attempt, worker, from, text }) => ({ id, kind, attempt, worker, from, text }))).toEqual([
      { id: result.cancelMessage, kind: "cancel", attempt: 2, worker: "w1", from: "person", text: "cancelled by a person" },
    ]);
    // The stopped worker's late report is refused: the task is no longer in progress.
    const late = await refusal(updateTaskProgress(store, "ui-style", { percent: 90, attempt: 2, worker: "w1" }));
    expect([late.code, late.exitCode, late.message]).toEqual(["E_STALE_TOKEN", 2, 'progress report for task "ui-style" refused: the task is blocked, not in_progress']);
  });

  it("cancel of a not_started task sends no message; cancel of a completed one is refused", async () => {
    const store = await storeWith({ tasks: { "auth-model": { status: "completed" } } });
    const result = await cancelTask(store, "ui-style", "not needed");
    expect(result).toEqual({ id: "ui-style", from: "not_started", to: "blocked", reason: "not needed" });
    expect(existsSync(path.join(store.paths.inboxDir, "ui-style.json"))).toBe(false);
    expect((await refusal(cancelTask(store, "auth-model"))).code).toBe("E_BAD_TRANSITION");
  });
});

describe("updateTaskProgress", () => {
  const running: ProgressFile = {
    tasks: { "ui-style": { status: "in_progress", attempt: 3, assignee: "w2", updated_at: "2026-01-01T00:00:00Z" } },
    workers: { w2: { status: "busy", task: "ui-style", attempt: 3, pid: 7, host: "box", started_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" } },
  };

  it("records percent, detail and result and renews the task's and worker's updated_at", async () => {
    const store = await storeWith(running);
    const state = await updateTaskProgress(store, "ui-style", { percent: 75, detail: "half way", result: { ok: true }, attempt: 3, worker: "w2" });
    expect([state.percent, state.detail, state.result]).toEqual([75, "half way", { ok: true }]);
    const progress = await store.progress.read();
    expect(progress.tasks["ui-style"]?.updated_at).not.toBe("2026-01-01T00:00:00Z");
    expect(progress.workers?.["w2"]?.updated_at).toBe(progress.tasks["ui-style"]?.updated_at);
  });

  it("refuses an old attempt or another worker with E_STALE_TOKEN, and logs the refusal", async () => {
    const store = await storeWith(running);
    const old = await refusal(updateTaskProgress(store, "ui-style", { percent: 10, attempt: 2 }));
    expect([old.code, old.message]).toEqual(["E_STALE_TOKEN", 'progress report for task "ui-style" refused: attempt 2 is not the current attempt 3']);
    const other = await refusal(updateTaskProgress(store, "ui-style", { percent: 10, attempt: 3, worker: "w1" }));
    expect(other.message).toBe('progress report for task "ui-style" refused: worker "w1" is not the assignee "w2"');
    expect((await store.progress.read()).tasks["ui-style"]?.percent).toBeUndefined();
    const { events } = await readEvents(store.paths.events);
    expect(events.map((event) => [event.type, event.task, event.attempt])).toEqual([
      ["stale_token_refused", "ui-style", 2],
      ["stale_token_refused", "ui-style", 3],
    ]);
  });
});

describe("inbox", () => {
  it("sends messages with time-sortable ids, lists the pending ones and acknowledges them once", async () => {
    const store = await storeWith({ tasks: {} });
    const first = await sendMessage(store, "auth-login", { kind: "note", text: "use bcrypt", from: "person" });
    const second = await sendMessage(store, "auth-login", { kind: "assignment", from: "lead", attempt: 1, worker: "w1" });
    expect(first.id).toMatch(/^m-[0-9a-z]{9}-[0-9a-f]{8}$/);
    expect(first.id < second.id || first.id.slice(0, 12) === second.id.slice(0, 12)).toBe(true);
    expect((await pendingMessages(store, "auth-login")).map((m) => m.id)).toEqual([first.id, second.id]);
    expect((await pendingMessages(store, "auth-login", { kind: "note" })).map((m) => m.id)).toEqual([first.id]);
    expect((await pendingMessages(store, "auth-login", { attempt: 2 })).map((m) => m.id)).toEqual([first.id]);
    expect(await ackMessages(store, "auth-login", [first.id, "m-unknown"], "w1")).toEqual([first.id]);
    expect(await ackMessages(store, "auth-login", [first.id], "w1")).toEqual([]);
    expect((await pendingMessages(store, "auth-login")).map((m) => m.id)).toEqual([second.id]);
    const inbox = await store.inbox("auth-login").read();
    expect(inbox.messages[0]).toMatchObject({ id: first.id, acked_by: "w1", text: "use bcrypt" });
  });

  it("refuses a message to an unknown task", async () => {
    const store = await storeWith({ tasks: {} });
    const error = await refusal(sendMessage(store, "auth-logn", { kind: "note", text: "x", from: "person" }));
    expect([error.code, error.hint]).toEqual(["E_UNKNOWN_TASK", 'Did you mean "auth-login"?']);
  });
});

describe("initRepo", () => {
  const files = [".codex/config.json", ".codex/features.json", ".codex/progress.json", ".codex/.gitignore"];
  const schemas = readdirSync(path.join(repoRoot, "schemas")).filter((name) => name.endsWith(".schema.json")).sort().map((name) => `.codex/schemas/${name}`);

  it("creates .codex/ with its files, then keeps every one of them, byte for byte, on a second run", async () => {
    const root = tempDir();
    const first = await initRepo(root);
    expect(first).toEqual({ created: [".codex/", ".codex/inbox/", ".codex/schemas/", ...schemas, ...files], kept: [] });
    expect(JSON.parse(readFileSync(path.join(root, ".codex/features.json"), "utf8"))).toEqual({ $schema: "./schemas/features.schema.json", features: [] });
    expect(JSON.parse(readFileSync(path.join(root, ".codex/config.json"), "utf8"))).toMatchObject({ $schema: "./schemas/config.schema.json", workers: 2, stall_timeout: "60s" });
    expect(readFileSync(path.join(root, ".codex/.gitignore"), "utf8")).toBe(CODEX_GITIGNORE);
    // The store reads what init wrote.
    const store = new CodexStore(root);
    expect((await store.resolvedConfig()).workers).toBe(2);
    expect(await store.progress.read()).toEqual({ $schema: "./schemas/progress.schema.json", tasks: {}, workers: {} });

    const edited = '{\n  "$schema": "./schemas/config.schema.json",\n    "workers": 7\n}\n';
    writeFileSync(path.join(root, ".codex/config.json"), edited);
    const second = await initRepo(root);
    expect(second).toEqual({ created: [], kept: [".codex/", ".codex/inbox/", ".codex/schemas/", ...schemas, ...files] });
    expect(readFileSync(path.join(root, ".codex/config.json"), "utf8")).toBe(edited);
    expect(readdirSync(path.join(root, ".codex")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("with example: true also takes whatever .codex-example/ holds, never overwriting", async () => {
    const root = tempDir();
    const example = path.join(repoRoot, ".codex-example");
    const entries = existsSync(example) ? readdirSync(example) : [];
    const result = await initRepo(root, { example: true });
    for (const name of entries) {
      const target = name.endsWith(".json") ? path.join(root, ".codex", name) : path.join(root, name);
      if (name.endsWith(".json")) expect(readFileSync(target, "utf8")).toBe(readFileSync(path.join(example, name), "utf8"));
      else expect(existsSync(target)).toBe(true);
    }
    const again = await initRepo(root, { example: true });
    expect(again.created).toEqual([]);
    expect(again.kept.length).toBe(result.created.length);
  });
});
