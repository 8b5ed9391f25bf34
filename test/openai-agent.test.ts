// The built-in openai agent, with the real `openai` SDK against the fake model server, on real git worktrees.
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runOpenAIAgent } from "../src/agents/openai/index.js";
import { isProcessGroupAlive } from "../src/agents/process-group.js";
import { readRecord, recordFile } from "../src/agents/openai/record.js";
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply } from "./helpers/fake-openai-server.js";
import { agentInput, agentWorktree, liveInbox, toolOutputs, userTexts } from "./helpers/openai-agent-input.js";
import { git, tempDir } from "./helpers/temp.js";

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const GREET = 'export function greet() {\n  return "hi";\n}\n';
const PATCH = [
  "*** Begin Patch",
  "*** Update File: src/greet.js",
  "@@ export function greet() {",
  '-  return "hi";',
  '+  return "hello";',
  "*** End Patch",
].join("\n");

describe("openai agent", () => {
  for (const api of ["responses", "chat"] as const) {
    it(`completes a subtask through read_file, apply_patch, run_command and finish (${api})`, async () => {
      const setup = agentWorktree({ "src/greet.js": GREET });
      const check = ["node", "-e", "import('./src/greet.js').then(m => console.log('greet says ' + m.greet()))"];
      server = await startFakeOpenAI({
        replies: [
          { toolCalls: [{ name: "read_file", arguments: { path: "src/greet.js" } }] },
          { toolCalls: [{ name: "apply_patch", arguments: { patch: PATCH } }, { name: "report_progress", arguments: { percent: 60, detail: "patched" } }] },
          { toolCalls: [{ name: "run_command", arguments: { command: check } }] },
          { text: "all good", toolCalls: [{ name: "finish", arguments: { summary: "greet now says hello; checked with node" } }] },
        ],
      });
      const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { profile: { api } }));

      expect(result).toMatchObject({ ok: true, finalMessage: "greet now says hello; checked with node" });
      expect(result.usage).toMatchObject({ calls: 4, input_tokens: 400, output_tokens: 80, credits: 1 });
      expect(readFileSync(path.join(setup.worktree, "src/greet.js"), "utf8")).toBe('export function greet() {\n  return "hello";\n}\n');
      expect(setup.progress).toEqual([{ percent: 60, detail: "patched" }]);

      const requests = server.requests;
      expect(requests.map((r) => r.path)).toEqual(Array(4).fill(api === "responses" ? "/v1/responses" : "/v1/chat/completions"));
      expect(requests.map((r) => r.headers["idempotency-key"])).toEqual(["t1:1:0", "t1:1:1", "t1:1:2", "t1:1:3"]);
      // Responses stores conversations unless told not to; Chat stores nothing unless asked (and `store` is left out).
      expect(requests.every((r) => r.body.store === (api === "responses" ? false : undefined) && r.body.model === "gpt-5.5")).toBe(true);
      expect(userTexts(requests[0])[0]).toContain("# Subtask t1: Make greet say hello");
      expect(toolOutputs(requests[1])).toEqual([GREET.trimEnd()]);
      expect(toolOutputs(requests[2]).slice(1)).toEqual(["patch applied: wrote src/greet.js", "progress reported"]);
      expect(toolOutputs(requests[3]).at(-1)).toBe("exit code 0\ngreet says hello\n");
      // Every request carries the whole transcript: the fourth holds all three earlier tool answers.
      expect(toolOutputs(requests[3])).toHaveLength(4);
      expect(readFileSync(setup.logFile, "utf8")).toContain("greet says hello");

      const record = readRecord(recordFile(setup.recordDir, 1));
      expect(record.filter((line) => line.type === "call").length).toBe(4);
      expect(record.filter((line) => line.type === "reply").length).toBe(4);
      expect(record.at(-1)).toMatchObject({ type: "end", outcome: "finished" });
    });
  }

  it("refuses every path leading out of the worktree or into .git, and carries on", async () => {
    const setup = agentWorktree({ "a.txt": "inside\n" });
    const outside = tempDir("codex-outside-");
    writeFileSync(path.join(outside, "secret.txt"), "secret\n");
    symlinkSync(outside, path.join(setup.worktree, "out-dir"));
    symlinkSync(path.join(outside, "secret.txt"), path.join(setup.worktree, "out-file"));
    const attempts = [
      { name: "read_file", arguments: { path: path.join(outside, "secret.txt") } },
      { name: "read_file", arguments: { path: `../${path.basename(outside)}/secret.txt` } },
      { name: "read_file", arguments: { path: "out-dir/secret.txt" } },
      { name: "write_file", arguments: { path: "out-file", content: "overwritten" } },
      { name: "write_file", arguments: { path: "out-dir/new.txt", content: "planted" } },
      { name: "read_file", arguments: { path: ".git/config" } },
      { name: "write_file", arguments: { path: "sub/../.git/hooks/pre-commit", content: "evil" } },
      { name: "list_files", arguments: { path: ".." } },
      { name: "search", arguments: { pattern: "secret", path: "out-dir" } },
      { name: "apply_patch", arguments: { patch: "*** Begin Patch\n*** Add File: out-dir/p.txt\n+x\n*** End Patch" } },
      { name: "read_file", arguments: { path: "a.txt" } },
      { name: "list_files", arguments: {} },
    ];
    server = await startFakeOpenAI({
      replies: [{ toolCalls: attempts }, { toolCalls: [{ name: "finish", arguments: { summary: "looked around" } }] }],
    });
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL));
    expect(result.ok).toBe(true);
    const outputs = toolOutputs(server.requests[1]);
    expect(outputs).toHaveLength(attempts.length);
    expect(outputs[0]).toMatch(/^error: path ".*secret.txt" is absolute: give a path relative to the worktree/);
    expect(outputs[1]).toMatch(/^error: path ".*" leads outside the worktree/);
    expect(outputs[2]).toMatch(/^error: path "out-dir\/secret.txt" goes through a symlink leading outside the worktree/);
    expect(outputs[3]).toMatch(/^error: path "out-file" goes through a symlink leading outside the worktree/);
    expect(outputs[4]).toMatch(/^error: path "out-dir\/new.txt" goes through a symlink leading outside/);
    expect(outputs[5]).toMatch(/^error: path ".git\/config" is inside .git, which tools may not touch/);
    expect(outputs[6]).toMatch(/is inside .git/);
    expect(outputs[7]).toMatch(/leads outside the worktree/);
    expect(outputs[8]).toMatch(/goes through a symlink leading outside/);
    expect(outputs[9]).toMatch(/^error: patch path "out-dir\/p.txt" goes through a symlink leading outside/);
    expect(outputs[10]).toBe("inside");
    // The listing names the links (never followed) and leaves out the worktree's .git file.
    expect(outputs[11]).toBe("a.txt\nout-dir@\nout-file@\nREADME.md");
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("secret\n");
    expect(existsSync(path.join(outside, "new.txt"))).toBe(false);
    expect(existsSync(path.join(outside, "p.txt"))).toBe(false);
    expect(existsSync(path.join(setup.repo, ".git", "hooks", "pre-commit"))).toBe(false);
  });

  it("leaves the tree unchanged when one hunk of a patch does not apply", async () => {
    const setup = agentWorktree({ "src/greet.js": GREET, "src/b.js": "one\ntwo\n" });
    const patch = [
      "*** Begin Patch",
      "*** Add File: src/new.js",
      "+new",
      "*** Update File: src/greet.js",
      "@@",
      '-  return "hi";',
      '+  return "hello";',
      "*** Update File: src/b.js",
      "@@",
      "-three",
      "+four",
      "*** Delete File: README.md",
      "*** End Patch",
    ].join("\n");
    server = await startFakeOpenAI({
      replies: [{ toolCalls: [{ name: "apply_patch", arguments: { patch } }] }, { toolCalls: [{ name: "finish", arguments: { summary: "gave up" } }] }],
    });
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL));
    expect(result.ok).toBe(true);
    expect(toolOutputs(server.requests[1])).toEqual([
      'error: hunk 1 of "src/b.js": its context and removed lines are not in the file (starting "three"); read_file it again and patch what is there',
    ]);
    expect(git(setup.worktree, ["status", "--porcelain"])).toBe("");
    expect(readFileSync(path.join(setup.worktree, "src/greet.js"), "utf8")).toBe(GREET);
  });

  it("kills a command at its timeout and says so", async () => {
    const setup = agentWorktree();
    server = await startFakeOpenAI({
      replies: [
        { toolCalls: [{ name: "run_command", arguments: { command: "echo started; sleep 30", timeout_ms: 300 } }] },
        { toolCalls: [{ name: "finish", arguments: { summary: "done" } }] },
      ],
    });
    const spawned: number[] = [];
    const started = Date.now();
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { onSpawn: (pid) => spawned.push(pid) }));
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
    const [output] = toolOutputs(server.requests[1]);
    expect(output).toMatch(/^timeout: `echo started; sleep 30` timed out after 300 ms/);
    expect(output).toContain("started");
    expect(spawned).toHaveLength(1);
    expect(isProcessGroupAlive(spawned[0] ?? 0)).toBe(false);
  });

  it("answers a command's long output with its head and tail and the size", async () => {
    const setup = agentWorktree();
    const command = ["node", "-e", "for (let i = 0; i < 5000; i++) console.log('line ' + i)"];
    server = await startFakeOpenAI({
      replies: [{ toolCalls: [{ name: "run_command", arguments: { command } }] }, { toolCalls: [{ name: "finish", arguments: { summary: "ok" } }] }],
    });
    await runOpenAIAgent(agentInput(setup, server.baseURL));
    const [output = ""] = toolOutputs(server.requests[1]);
    expect(output.startsWith("exit code 0\nline 0\nline 1\n")).toBe(true);
    expect(output).toContain("output cut: 48890 bytes in all");
    expect(output.endsWith("line 4999\n")).toBe(true);
    expect(output.length).toBeLessThan(11 * 1024);
    expect(readFileSync(setup.logFile, "utf8")).toContain("line 2500\n");
  });

  it("puts a note that arrives mid-attempt into the next request, and acknowledges it then", async () => {
    const setup = agentWorktree({ "a.txt": "a\n" });
    const inbox = liveInbox();
    server = await startFakeOpenAI({
      handler: (_request, { index }) => {
        if (index === 0) {
          inbox.push({ id: "n1", kind: "note", from: "alice", text: "use tabs, not spaces", at: "2026-01-01T00:00:00Z" });
          return { toolCalls: [{ name: "read_file", arguments: { path: "a.txt" } }] };
        }
        return { toolCalls: [{ name: "finish", arguments: { summary: "done with tabs" } }] };
      },
    });
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { takeMessages: inbox.take }));
    expect(result.ok).toBe(true);
    expect(userTexts(server.requests[0]).some((text) => text.includes("use tabs"))).toBe(false);
    expect(userTexts(server.requests[1]).at(-1)).toBe("Note from alice: use tabs, not spaces");
    expect(inbox.acked).toEqual(["n1"]);
  });

  it("waits as a 429's Retry-After says, then carries on", async () => {
    const setup = agentWorktree();
    server = await startFakeOpenAI({
      replies: [{ status: 429, headers: { "retry-after": "1" }, error: "rate limited" }, { toolCalls: [{ name: "finish", arguments: { summary: "ok" } }] }],
    });
    const lines: string[] = [];
    const started = Date.now();
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { log: (line) => lines.push(line) }));
    expect(result).toMatchObject({ ok: true, usage: { calls: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(lines).toContain("openai: call 0 retry 1 in 1000 ms after: HTTP 429: rate limited");
    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual(["t1:1:0", "t1:1:0"]);
  });

  it("fails the attempt with the server's message when 500s outlast the retries", async () => {
    const setup = agentWorktree();
    server = await startFakeOpenAI({ handler: () => ({ status: 500, error: "backend exploded" }) });
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { profile: { max_retries: 3, retry_delay: "20ms" } }));
    expect(result).toMatchObject({ ok: false, kind: "failed", reason: "the model call failed 4 times: HTTP 500: backend exploded" });
    expect(server.requests).toHaveLength(4);
  });

  it("fails with kind config before any call when the key is missing", async () => {
    const setup = agentWorktree();
    server = await startFakeOpenAI();
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { env: {}, profile: { api_key_env: "CREW_TEST_NO_SUCH_KEY" } }));
    expect(result).toMatchObject({ ok: false, kind: "config" });
    expect(result.ok ? "" : result.reason).toContain("$CREW_TEST_NO_SUCH_KEY");
    expect(server.requests).toHaveLength(0);
  });

  it("stops with kind budget once the budget is spent, at most one call past it", async () => {
    const setup = agentWorktree({ "a.txt": "a\n" });
    // Each call: 1000 input + 500 output tokens = 1.5k tokens; credits = ceil(tokens / 1000).
    const reply: FakeReply = { toolCalls: [{ name: "read_file", arguments: { path: "a.txt" } }], usage: { input_tokens: 1000, output_tokens: 500 } };
    server = await startFakeOpenAI({ handler: () => reply });
    const result = await runOpenAIAgent(
      agentInput(setup, server.baseURL, { budget: { limit: 5, spentBefore: 1, creditsOf: (u) => Math.ceil(((u.input_tokens ?? 0) + (u.output_tokens ?? 0)) / 1000) } }),
    );
    // After 2 calls: 1 + ceil(3.0) = 4 < 5, so a third call is made; after it 1 + ceil(4.5) = 6 >= 5: stop.
    expect(server.requests).toHaveLength(3);
    expect(result).toMatchObject({
      ok: false,
      kind: "budget",
      reason: "budget exhausted: used 6 of 5 credits — raise `budget` of t1 and unblock",
      usage: { calls: 3, credits: 5 },
    });
  });

  it("checks finish's result against the subtask's schema and sends a mismatch back", async () => {
    const setup = agentWorktree();
    const resultSchema = { type: "object", properties: { count: { type: "integer" } }, required: ["count"] };
    server = await startFakeOpenAI({
      replies: [
        { toolCalls: [{ name: "finish", arguments: { summary: "done", result: { count: "three" } } }] },
        { toolCalls: [{ name: "finish", arguments: { summary: "done", result: { count: 3 } } }] },
      ],
    });
    const input = agentInput(setup, server.baseURL);
    const result = await runOpenAIAgent({ ...input, task: { ...input.task, resultSchema } });
    expect(result).toMatchObject({ ok: true, finalMessage: "done", result: { count: 3 } });
    expect(toolOutputs(server.requests[1])).toEqual([
      "error: the result does not match the subtask's schema: /count must be integer. Fix it and call finish again.",
    ]);
  });
  it("passes temperature and reasoning through and carries Responses reasoning items to the next call", async () => {
    const setup = agentWorktree({ "a.txt": "a\n" });
    const reasoningItem = { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "opaque" };
    server = await startFakeOpenAI({
      replies: [
        { output: [reasoningItem], toolCalls: [{ name: "read_file", arguments: { path: "a.txt" } }] },
        { toolCalls: [{ name: "finish", arguments: { summary: "ok" } }] },
        { toolCalls: [{ name: "finish", arguments: { summary: "ok" } }] },
      ],
    });
    const profile = { api: "responses" as const, temperature: 0.2, reasoning: { effort: "low" } };
    expect((await runOpenAIAgent(agentInput(setup, server.baseURL, { profile }))).ok).toBe(true);
    const [first, second] = server.requests;
    expect(first?.body).toMatchObject({ temperature: 0.2, reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"] });
    expect(second?.body.input).toContainEqual(reasoningItem);

    const chat = agentWorktree();
    expect((await runOpenAIAgent(agentInput(chat, server.baseURL, { profile: { ...profile, api: "chat" } }))).ok).toBe(true);
    expect(server.requests[2]?.body).toMatchObject({ temperature: 0.2, reasoning_effort: "low" });
    expect(server.requests[2]?.body.include).toBeUndefined();
  });
  it("asks once for finish after an answer without tool calls, then takes a second one as the final message", async () => {
    const setup = agentWorktree();
    server = await startFakeOpenAI({ replies: [{ text: "I will look at the code." }, { text: "Nothing needed changing." }] });
    const result = await runOpenAIAgent(agentInput(setup, server.baseURL));
    expect(result).toMatchObject({ ok: true, finalMessage: "Nothing needed changing.", usage: { calls: 2 } });
    expect(userTexts(server.requests[1]).at(-1)).toMatch(/^If the work is done and checked, call finish/);
  });
});
