// The reviewer gate in real runs: review.agent (an openai profile on the fake model server) fails attempt 1 with
// reasons and fixes, the next attempt sees them and passes; the verdict lands in progress.json, events.jsonl, the
// commit's trailer and `checkpoints`; the reviewer's usage is the subtask's. `review: false` skips it.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAIServer } from "./helpers/fake-openai-server.js";
import { node, RunRepo } from "./helpers/run-harness.js";

/** An agent that writes out.txt and copies the notes it was given (feedback included) into a mark per attempt. */
const AGENT = [
  node,
  "-e",
  [
    "const fs=require('fs'),p=require('path');",
    "fs.writeFileSync('out.txt','attempt '+process.env.CODEX_ATTEMPT+'\\n');",
    "const notes=process.env.CODEX_NOTES_FILE&&fs.existsSync(process.env.CODEX_NOTES_FILE)?fs.readFileSync(process.env.CODEX_NOTES_FILE,'utf8'):'';",
    "const dir=p.join(process.env.CODEX_ROOT,'.codex','test-marks');fs.mkdirSync(dir,{recursive:true});",
    "fs.writeFileSync(p.join(dir,'notes-'+process.env.CODEX_ATTEMPT),notes);",
  ].join(""),
];

let server: FakeOpenAIServer | undefined;
beforeAll(() => {
  process.env["OPENAI_API_KEY"] = "test-key";
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const verdict = (value: { verdict: string; reasons: string[]; fixes: string[] }) => ({ text: JSON.stringify(value), usage: { input_tokens: 1500, output_tokens: 500 } });

async function reviewedRepo(subtask: Record<string, unknown>): Promise<RunRepo> {
  server ??= await startFakeOpenAI();
  const repo = await RunRepo.create([], {
    max_attempts: 2,
    agents: { reviewer: { type: "openai", base_url: server.baseURL, api: "chat", model: "m1", max_retries: 0 } },
    review: { agent: "reviewer", command: [node, "-e", "console.log('all 12 tests ok')"] },
  });
  repo.writeFeaturesText(`${JSON.stringify({ features: [{ id: "f", feature: "reviewed", subtasks: [{ id: "r", name: "Write out.txt", description: "Write out.txt.", acceptance: ["out.txt says which attempt wrote it"], command: AGENT, ...subtask }] }] }, null, 2)}\n`);
  return repo;
}

describe("the reviewer", () => {
  it("fails attempt 1 with reasons and fixes as feedback; attempt 2 sees them and passes", async () => {
    server = await startFakeOpenAI({
      replies: [
        verdict({ verdict: "fail", reasons: ["out.txt lacks a test"], fixes: ["add test/out.test.js"] }),
        verdict({ verdict: "pass", reasons: ["criteria met"], fixes: [] }),
      ],
    });
    const repo = await reviewedRepo({});
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });

    const task = repo.task("r");
    expect(task).toMatchObject({ status: "completed", attempt: 2 });
    expect(task.attempts?.[0]?.reason).toContain("review: fail: out.txt lacks a test");
    expect(task.review).toMatchObject({ attempt: 2, verdict: "pass", reasons: ["criteria met"] });
    // The reviewer's usage is charged to the subtask: two review calls of 2000 tokens, 2 credits each.
    expect(task.usage).toMatchObject({ calls: 2, input_tokens: 3000, output_tokens: 1000, credits: 4 });

    const feedback = repo.inbox("r").messages.filter((m) => m.kind === "feedback" && m.from === "review");
    expect(feedback).toHaveLength(1);
    expect(feedback[0]?.text).toBe("The reviewer failed this attempt.\nReasons:\n- out.txt lacks a test\nFixes:\n- add test/out.test.js");
    const notes2 = readFileSync(repo.markPath("notes-2"), "utf8");
    expect(notes2).toContain("add test/out.test.js");
    expect(readFileSync(repo.markPath("notes-1"), "utf8")).not.toContain("add test/out.test.js");

    // What the reviewer was given: description, criteria, the command's output and the diff against the base.
    const asked = JSON.stringify(server.requests[1]?.body.messages);
    expect(asked).toContain("Write out.txt.");
    expect(asked).toContain("out.txt says which attempt wrote it");
    expect(asked).toContain("all 12 tests ok");
    expect(asked).toContain("+attempt 2");
    expect(server.requests[0]?.body.response_format).toMatchObject({ json_schema: { name: "review" } });

    expect(repo.git(["log", "-1", "--format=%(trailers:key=Review,valueonly)", "codex/integration"])).toBe("pass");
    expect(repo.show("codex/work/r/a1", "out.txt")).toBe("attempt 1\n");
    const verdicts = repo.auditEvents().filter((e) => e["type"] === "review.verdict").map((e) => (e["data"] as { verdict: string }).verdict);
    expect(verdicts).toEqual(["fail", "pass"]);
    const checkpoints = await repo.lead(["checkpoints", "--json"]);
    expect(checkpoints.code, checkpoints.stderr).toBe(0);
    expect(JSON.parse(checkpoints.stdout)).toMatchObject([{ task: "r", review: "pass" }]);
  });

  it("review: false on the subtask turns the review gate off", async () => {
    server = await startFakeOpenAI({ replies: [verdict({ verdict: "fail", reasons: ["never asked"], fixes: [] })] });
    const repo = await reviewedRepo({ review: false });
    const run = repo.start();
    expect(await run.waitForExit(), run.describe()).toEqual({ code: 0, signal: null });
    expect(repo.task("r")).toMatchObject({ status: "completed", attempt: 1 });
    expect(repo.task("r").review).toBeUndefined();
    expect(server.requests).toHaveLength(0);
    expect(repo.git(["log", "-1", "--format=%(trailers:key=Review,valueonly)", "codex/integration"])).toBe("");
    expect(existsSync(path.join(repo.dir, "test-marks", "notes-2"))).toBe(false);
  });

  it("validate refuses a review.agent that cannot answer with structured output", async () => {
    const repo = await RunRepo.create([{ id: "a", command: [node, "-e", ""] }], { review: { agent: "shell" } });
    const result = await repo.lead(["validate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('review.agent: \"shell\" (shell) cannot answer to a JSON Schema');
  });
});
