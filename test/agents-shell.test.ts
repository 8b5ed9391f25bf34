// Every agent kind runs through one contract; these are the shell kind's guarantees and profile resolution,
// end to end on real processes and real git: the default agent, profiles from config, unknown names, results.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { agent, fixture, node, RunRepo } from "./helpers/run-harness.js";

describe("agents: the shell kind and profiles", () => {
  it("runs the offline example to the end with shell as the default agent and no key; output kept in each attempt's log", async () => {
    const repo = await RunRepo.example();
    const run = repo.start();
    const exit = await run.waitForExit(90_000);

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    const progress = repo.progress();
    const ids = Object.keys(progress.tasks);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect(progress.tasks[id]?.status, id).toBe("completed");
    // A shell command spends no tokens: no usage is recorded, so nothing counts against a budget.
    for (const id of ids) expect(progress.tasks[id]?.usage, id).toBeUndefined();
    // Its stdout is the final message; its output is in the attempt's log.
    expect(progress.tasks["test-all"]?.final_message).toBe("all tests passed");
    expect(readFileSync(path.join(repo.dir, "logs", "test-all.a1.log"), "utf8")).toContain("all tests passed");
    expect(readFileSync(path.join(repo.dir, "logs", "test-mul.a1.log"), "utf8")).toContain("! flaky on purpose: failing attempt 1");
    expect(repo.show("codex/integration", "CHANGELOG.md")).toContain("add, sub, mul");
  });

  it("an unknown profile fails the attempt naming it and the known ones; validate names its place", async () => {
    const repo = await RunRepo.create(
      [
        { id: "ok", command: agent("agent-write-file.mjs", "ok.txt", "fine") },
        { id: "typo", agent: "claud", command: "true" },
      ],
      { max_attempts: 1, agents: { mine: { type: "shell", command: "true" } } },
    );
    const validate = await repo.lead(["validate"]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain('features[0].subtasks[1].agent (id "typo"): unknown agent profile "claud"; known: shell, codex, claude, gemini, openai, mine');

    const run = repo.start();
    const exit = await run.waitForExit();
    expect(exit, run.describe()).toEqual({ code: 3, signal: null });
    expect(repo.task("ok").status).toBe("completed");
    const typo = repo.task("typo");
    expect(typo.status).toBe("failed");
    expect(typo.reason).toContain('unknown agent profile "claud"; known: shell, codex, claude, gemini, openai, mine');
    expect(typo.reason).toContain('define it in config.json under "agents"');
    // It failed before a worktree was made for it: no branch of its own.
    expect(repo.git(["branch", "--list", "codex/work/typo/*"])).toBe("");
  });

  it("a profile in config replaces the built-in of the same name; a shell profile's command runs when the subtask has none", async () => {
    const repo = await RunRepo.create(
      [
        { id: "own-command", agent: "codex", command: agent("agent-write-file.mjs", "own.txt", "own command") },
        // After the other, so that its file is not on the integration branch when the other lands.
        { id: "by-profile", agent: "codex", deps: ["own-command"] },
      ],
      { agents: { codex: { type: "shell", command: [node, fixture("agent-write-file.mjs"), "profile.txt", "from the profile"] } } },
    );
    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect(repo.show("codex/task/by-profile", "profile.txt")).toBe("from the profile\n");
    expect(repo.show("codex/task/own-command", "own.txt")).toBe("own command\n");
    expect(repo.show("codex/task/own-command", "profile.txt")).toBeUndefined();
  });

  it("result_schema: a mismatch fails the attempt and its errors reach the next one as feedback; no result fails too", async () => {
    const schema = { type: "object", properties: { count: { type: "integer" } }, required: ["count"] };
    const repo = await RunRepo.create(
      [
        { id: "counted", command: agent("agent-result.mjs"), result_schema: schema },
        { id: "silent", command: "echo done", result_schema: schema },
      ],
      { max_attempts: 2 },
    );
    const run = repo.start();
    const exit = await run.waitForExit();

    expect(exit, run.describe()).toEqual({ code: 3, signal: null });
    const counted = repo.task("counted");
    expect(counted.status).toBe("completed");
    expect(counted.attempt).toBe(2);
    expect(counted.result).toEqual({ count: 3 });
    expect(counted.attempts?.[0]?.reason).toBe("the result does not match the subtask's result_schema: /count must be integer");
    const feedback = repo.inbox("counted").messages.filter((m) => m.kind === "feedback");
    expect(feedback.map((m) => [m.from, m.text, Boolean(m.acked_at)])).toEqual([
      ["result check", "the result does not match the subtask's result_schema: /count must be integer", true],
    ]);

    const silent = repo.task("silent");
    expect(silent.status).toBe("failed");
    expect(silent.attempts?.map((a) => a.reason)).toEqual([
      "no result reported: the subtask has a result_schema; record the result with `codex-worker result '<json>'`",
      "no result reported: the subtask has a result_schema; record the result with `codex-worker result '<json>'`",
    ]);
    expect(existsSync(path.join(repo.dir, "logs", "silent.a2.log"))).toBe(true);
  });
});
