// The precompiled checks (generated at build from zod's JSON Schema) must agree with zod on every rule:
// a value they pass is never checked by zod again.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { InvalidFileError } from "../src/errors.js";
import type { FastCheck } from "../src/schema/fast-check.js";
import { InboxFile } from "../src/schema/inbox.js";
import { ProgressFile } from "../src/schema/progress.js";
import { JsonFile } from "../src/store/json-file.js";
import { distDir, tempDir } from "./helpers/temp.js";

async function generated(name: string): Promise<FastCheck> {
  const file = path.join(distDir, "schema", "generated", `${name}-check.js`);
  return ((await import(pathToFileURL(file).href)) as { default: FastCheck }).default;
}

const at = "2026-11-21T10:30:00.000Z";

function fullProgress(): Record<string, unknown> {
  return {
    $schema: "./schemas/progress.schema.json",
    tasks: {
      "auth-model": {
        status: "completed",
        reason: "done",
        assignee: "w1",
        attempt: 2,
        started_at: "2026-11-21T10:00:00+02:00",
        updated_at: at,
        completed_at: "2026-11-21T10:31:00Z",
        percent: 100,
        detail: "all green",
        result: { files: ["a.ts"], nested: [1, null, true] },
        error: "first attempt failed",
        attempts: [{ attempt: 1, worker: "w1", outcome: "failed", reason: "exit 1", at }],
        not_before: null,
        base: "abc",
        branch: "codex/work/auth-model/a2",
        worktree: "/tmp/w",
        handoff: { attempt: 2, outcome: "succeeded", commit: "abc", at },
        commit: "abc",
        tag: "codex/task/auth-model",
        usage: { input_tokens: 10, output_tokens: 5, credits: 0.5 },
      },
      "auth-api": { status: "not_started" },
    },
    workers: {
      w1: { status: "idle", task: null, attempt: null, pid: 42, host: "h", started_at: at, updated_at: at, agent_pid: null, lead_pid: 7, worktree: "/tmp/w" },
    },
    run: { lead_pid: 7, host: "h", started_at: at, updated_at: null, integration_branch: "codex/integration" },
  };
}

type Mutation = [string, (value: Record<string, any>) => void];

const progressCases: Mutation[] = [
  ["valid as is", () => {}],
  ["a time with an offset and no fraction", (v) => (v.tasks["auth-model"].updated_at = "2026-11-21T10:30:00-05:30")],
  ["a task with only a status", (v) => (v.tasks.x = { status: "blocked" })],
  ["no workers and no run", (v) => (delete v.workers, delete v.run)],
  ["an unknown status", (v) => (v.tasks["auth-model"].status = "done")],
  ["a missing status", (v) => delete v.tasks["auth-model"].status],
  ["a negative attempt", (v) => (v.tasks["auth-model"].attempt = -1)],
  ["a fractional attempt", (v) => (v.tasks["auth-model"].attempt = 1.5)],
  ["percent over 100", (v) => (v.tasks["auth-model"].percent = 101)],
  ["percent as text", (v) => (v.tasks["auth-model"].percent = "50")],
  ["a time in words", (v) => (v.tasks["auth-model"].updated_at = "yesterday")],
  ["February 30", (v) => (v.tasks["auth-model"].updated_at = "2026-02-30T10:00:00Z")],
  ["a time without a zone", (v) => (v.tasks["auth-model"].updated_at = "2026-11-21T10:30:00")],
  ["an unknown task field", (v) => (v.tasks["auth-model"].statuss = "x")],
  ["an unknown top-level field", (v) => (v.task = {})],
  ["an empty task id", (v) => (v.tasks[""] = { status: "not_started" })],
  ["tasks as a list", (v) => (v.tasks = [])],
  ["an assignee number", (v) => (v.tasks["auth-model"].assignee = 3)],
  ["a hand-off outcome not known", (v) => (v.tasks["auth-model"].handoff.outcome = "maybe")],
  ["an attempt record without a time", (v) => delete v.tasks["auth-model"].attempts[0].at],
  ["an attempt record numbered 0", (v) => (v.tasks["auth-model"].attempts[0].attempt = 0)],
  ["negative tokens", (v) => (v.tasks["auth-model"].usage.input_tokens = -1)],
  ["an unknown usage field", (v) => (v.tasks["auth-model"].usage.tokens = 1)],
  ["a worker pid 0", (v) => (v.workers.w1.pid = 0)],
  ["a worker without host", (v) => delete v.workers.w1.host],
  ["a worker status not known", (v) => (v.workers.w1.status = "sleeping")],
  ["a run field not known", (v) => (v.run.branch = "x")],
  ["a task that is null", (v) => (v.tasks["auth-model"] = null)],
  ["NaN percent", (v) => (v.tasks["auth-model"].percent = Number.NaN)],
];

function agreeOn(fast: FastCheck, schema: z.ZodType, make: () => Record<string, unknown>, cases: Mutation[]): Array<[string, boolean, boolean]> {
  return cases.map(([name, mutate]) => {
    const value = make();
    mutate(value);
    return [name, fast(value), schema.safeParse(value).success];
  });
}

describe("precompiled checks", () => {
  it("progress.json: agrees with zod on every rule, valid and invalid", async () => {
    const verdicts = agreeOn(await generated("progress"), ProgressFile, fullProgress, progressCases);
    for (const [name, fast, zod] of verdicts) expect({ name, fast }).toEqual({ name, fast: zod });
    // The cases cover both sides: four valid ones, the rest refused.
    expect(verdicts.filter(([, , zod]) => zod).map(([name]) => name)).toEqual(progressCases.slice(0, 4).map(([name]) => name));
  });

  it("inbox files: agrees with zod on every rule, valid and invalid", async () => {
    const make = () => ({
      $schema: "../schemas/inbox.schema.json",
      task: "auth-model",
      messages: [{ id: "m1", kind: "assignment", from: "lead", attempt: 1, worker: "w1", base: "abc", created_at: at, acked_at: null }],
    });
    const cases: Mutation[] = [
      ["valid as is", () => {}],
      ["an unknown kind", (v) => (v.messages[0].kind = "shout")],
      ["an empty id", (v) => (v.messages[0].id = "")],
      ["no creation time", (v) => delete v.messages[0].created_at],
      ["an unknown message field", (v) => (v.messages[0].to = "w2")],
      ["no task", (v) => delete v.task],
    ];
    const verdicts = agreeOn(await generated("inbox"), InboxFile, make, cases);
    for (const [name, fast, zod] of verdicts) expect({ name, fast }).toEqual({ name, fast: zod });
    expect(verdicts.filter(([, , zod]) => zod)).toHaveLength(1);
  });

  it("a file the fast check refuses is still reported by zod, field by field", async () => {
    const dir = tempDir();
    const file = path.join(dir, "progress.json");
    const value = fullProgress() as { tasks: Record<string, { status: string }> };
    value.tasks["auth-api"]!.status = "finished";
    writeFileSync(file, JSON.stringify(value, null, 2));
    const fast = await generated("progress");
    let checkedFast = 0;
    const store = new JsonFile({
      file,
      schema: async () => ProgressFile,
      fastCheck: async () => (candidate: unknown) => (checkedFast++, fast(candidate)),
      label: "progress.json",
    });
    const error = await store.read().catch((caught: unknown) => caught);
    expect(checkedFast).toBe(1);
    expect(error).toBeInstanceOf(InvalidFileError);
    expect((error as InvalidFileError).problems.join("\n")).toMatch(/tasks\.auth-api\.status/);
  });
});
