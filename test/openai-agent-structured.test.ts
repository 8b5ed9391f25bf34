// structuredCall and the model-call retry loop, with the real `openai` SDK against the fake model server.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { structuredCall } from "../src/agents/openai/structured.js";
import { ModelCallError } from "../src/agents/openai/retry.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./helpers/fake-openai-server.js";

const schema = {
  type: "object",
  properties: { steps: { type: "array", items: { type: "string" }, minItems: 1 } },
  required: ["steps"],
  additionalProperties: false,
};

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function ask(api: "responses" | "chat", extra: Partial<Parameters<typeof structuredCall>[0]> = {}) {
  server ??= await startFakeOpenAI();
  return structuredCall<{ steps: string[] }>({
    profile: { type: "openai", base_url: server.baseURL, api, model: "m1", max_retries: 2, retry_delay: "50ms" },
    env: { OPENAI_API_KEY: "test-key" },
    system: "You plan.",
    user: "Plan it.",
    schema,
    schemaName: "plan",
    creditsOf: (usage) => Math.ceil(((usage.input_tokens ?? 0) + (usage.output_tokens ?? 0)) / 1000),
    ...extra,
  });
}

describe("structuredCall", () => {
  for (const api of ["responses", "chat"] as const) {
    it(`returns the checked JSON answer and its usage (${api})`, async () => {
      server = await startFakeOpenAI({ replies: [{ text: '{"steps":["a","b"]}', usage: { input_tokens: 1500, output_tokens: 600 } }] });
      const result = await ask(api);
      expect(result.value).toEqual({ steps: ["a", "b"] });
      expect(result.usage).toMatchObject({ input_tokens: 1500, output_tokens: 600, calls: 1, credits: 3 });
      const [request] = server.requests;
      expect(request?.path).toBe(api === "responses" ? "/v1/responses" : "/v1/chat/completions");
      expect(request?.body.store).toBe(api === "responses" ? false : undefined);
      if (api === "responses") expect(request?.body.text).toMatchObject({ format: { type: "json_schema", name: "plan", schema } });
      else expect(request?.body.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "plan", schema } });
    });
  }

  it("shows a schema mismatch to the model and takes the corrected answer", async () => {
    server = await startFakeOpenAI({ replies: [{ text: '{"steps":[]}' }, { text: '```json\n{"steps":["x"]}\n```' }] });
    const result = await ask("chat");
    expect(result.value).toEqual({ steps: ["x"] });
    expect(result.usage.calls).toBe(2);
    const second = JSON.stringify(server.requests[1]?.body.messages);
    expect(second).toContain("does not match the schema plan");
    expect(second).toContain("/steps must NOT have fewer than 1 items");
  });

  it("waits as Retry-After says after a 429, then succeeds", async () => {
    server = await startFakeOpenAI({
      replies: [{ status: 429, headers: { "retry-after": "1" }, error: "slow down" }, { text: '{"steps":["ok"]}' }],
    });
    const retries: number[] = [];
    const started = Date.now();
    const result = await ask("responses", { onRetry: (info) => retries.push(info.delayMs) });
    expect(result.value).toEqual({ steps: ["ok"] });
    expect(retries).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it("fails with the server's message once retries run out on 500", async () => {
    server = await startFakeOpenAI({ handler: () => ({ status: 500, error: "the model is on fire" }) });
    const error = await ask("chat").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallError);
    expect((error as ModelCallError).kind).toBe("failed");
    expect((error as ModelCallError).message).toBe("the model call failed 3 times: HTTP 500: the model is on fire");
    expect(server.requests).toHaveLength(3);
  });

  it("ends a call refused with 400 at once, with the server's message", async () => {
    server = await startFakeOpenAI({ handler: () => ({ status: 400, error: "unknown model m1" }) });
    const error = (await ask("chat").catch((e: unknown) => e)) as ModelCallError;
    expect(error.message).toBe("the model server refused the call: HTTP 400: unknown model m1");
    expect(server.requests).toHaveLength(1);
  });

  it("stops waiting for a long Retry-After at once when aborted", async () => {
    server = await startFakeOpenAI({ handler: () => ({ status: 429, headers: { "retry-after": "50" } }) });
    const controller = new AbortController();
    const started = Date.now();
    const pending = ask("responses", { signal: controller.signal }).catch((e: unknown) => e);
    await server.waitForRequests(1);
    controller.abort();
    const error = (await pending) as ModelCallError;
    expect(error.kind).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("says which variable needs the key before any call", async () => {
    server = await startFakeOpenAI();
    const error = (await ask("chat", { env: {} }).catch((e: unknown) => e)) as ModelCallError;
    expect(error.kind).toBe("config");
    expect(error.message).toContain("$OPENAI_API_KEY");
    expect(server.requests).toHaveLength(0);
  });
});

describe("fake model server", () => {
  it("streams a Responses answer as SSE the SDK reads", async () => {
    server = await startFakeOpenAI({ replies: [{ toolCalls: [{ name: "exec_command", arguments: { cmd: "ls" } }] }] });
    const client = new OpenAI({ apiKey: "k", baseURL: server.baseURL, maxRetries: 0 });
    const stream = await client.responses.create({ model: "gpt-5.5", input: "hi", stream: true });
    const types: string[] = [];
    let done: unknown;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_item.done") done = event.item;
    }
    expect(types).toEqual(["response.created", "response.output_item.added", "response.output_item.done", "response.completed"]);
    expect(done).toMatchObject({ type: "function_call", name: "exec_command", arguments: '{"cmd":"ls"}' });
  });
});
