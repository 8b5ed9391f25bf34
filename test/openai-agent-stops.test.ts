// How the openai agent stops mid-call: a call over its own timeout, a cancel, the attempt's time limit.
import { afterEach, expect, it } from "vitest";
import { runOpenAIAgent } from "../src/agents/openai/index.js";
import { readRecord, recordFile } from "../src/agents/openai/record.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./helpers/fake-openai-server.js";
import { agentInput, agentWorktree } from "./helpers/openai-agent-input.js";

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("retries a call that outlasts the profile's timeout, then fails saying so", async () => {
  const setup = agentWorktree();
  server = await startFakeOpenAI({ handler: () => ({ hang: true }) });
  const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { profile: { timeout: "300ms", max_retries: 1, retry_delay: "10ms" } }));
  expect(result).toMatchObject({ ok: false, kind: "failed", reason: "the model call failed 2 times: Request timed out." });
  expect(server.requests).toHaveLength(2);
});

it("ends a call in flight at once on cancel, charging it as spent", async () => {
  const setup = agentWorktree();
  server = await startFakeOpenAI({ handler: () => ({ hang: true }) });
  const controller = new AbortController();
  const started = Date.now();
  const pending = runOpenAIAgent(agentInput(setup, server.baseURL, { signal: controller.signal }));
  await server.waitForRequests(1);
  controller.abort();
  const result = await pending;
  expect(result).toMatchObject({ ok: false, kind: "cancelled", reason: "the attempt was cancelled", usage: { calls: 1 } });
  expect(result.usage.input_tokens).toBeGreaterThan(0);
  expect(Date.now() - started).toBeLessThan(10_000);
  // The record shows the call started and never answered: a resuming attempt makes it again.
  const record = readRecord(recordFile(setup.recordDir, 1));
  expect(record.filter((line) => line.type === "call")).toHaveLength(1);
  expect(record.filter((line) => line.type === "reply")).toHaveLength(0);
});

it("stops with kind timeout when the attempt's time is up, killing the command it runs", async () => {
  const setup = agentWorktree();
  server = await startFakeOpenAI({ replies: [{ toolCalls: [{ name: "run_command", arguments: { command: ["sleep", "30"] } }] }] });
  const started = Date.now();
  const result = await runOpenAIAgent(agentInput(setup, server.baseURL, { timeoutMs: 800 }));
  expect(result).toMatchObject({ ok: false, kind: "timeout", reason: "the attempt ran out of time (800 ms)" });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(server.requests).toHaveLength(1);
});
