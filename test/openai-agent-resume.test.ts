// An openai-agent attempt SIGKILLed mid-call, then the next attempt resuming its recorded conversation: no call
// whose answer was recorded is made again, and the call in flight is charged as spent.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { runOpenAIAgent, usageOfRecord } from "../src/agents/openai/index.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./helpers/fake-openai-server.js";
import { agentInput, agentWorktree, toolOutputs, userTexts } from "./helpers/openai-agent-input.js";
import { fixture } from "./helpers/run-harness.js";

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

for (const api of ["chat", "responses"] as const) {
  it(`resumes an attempt killed mid-call without repeating a recorded call (${api})`, async () => {
    const setup = agentWorktree({ "a.txt": "alpha\n" });
    server = await startFakeOpenAI({
      handler: (_request, { index }) => {
        if (index === 0) return { toolCalls: [{ name: "read_file", arguments: { path: "a.txt" } }] };
        if (index === 1) return { toolCalls: [{ name: "write_file", arguments: { path: "b.txt", content: "from attempt 1\n" } }] };
        if (index === 2) return { hang: true };
        return { toolCalls: [{ name: "finish", arguments: { summary: "b.txt written" } }] };
      },
    });
    const first = agentInput(setup, server.baseURL, { profile: { api } });
    const { budget: _b, signal: _s, reportProgress: _r, log: _l, ...plain } = first;
    const child = spawn(process.execPath, [fixture("openai-agent-run.mjs"), JSON.stringify(plain)], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    try {
      await server.waitForRequests(3, 30_000);
    } finally {
      child.kill("SIGKILL");
    }
    expect(await exited).toBe("SIGKILL");
    expect(readFileSync(path.join(setup.worktree, "b.txt"), "utf8")).toBe("from attempt 1\n");

    // The killed attempt: two answered calls and one in flight, charged as spent.
    const spent = usageOfRecord(setup.recordDir, 1);
    expect(spent.calls).toBe(3);
    expect(spent.input_tokens).toBeGreaterThan(200);

    const second = agentInput(setup, server.baseURL, {
      profile: { api },
      token: { task: "t1", attempt: 2, worker: "w2" },
      resume: { fromAttempt: 1 },
      history: { messages: [], attempts: [{ attempt: 1, outcome: "crashed" }], conflicts: [] },
    });
    const result = await runOpenAIAgent(second);
    expect(result).toMatchObject({ ok: true, finalMessage: "b.txt written", usage: { calls: 1 } });

    const requests = server.requests;
    expect(requests).toHaveLength(4);
    const resumed = requests[3];
    expect(resumed?.headers["idempotency-key"]).toBe("t1:2:3");
    // The replayed transcript: the first prompt (not rebuilt), both recorded answers and their tool outputs.
    expect(userTexts(resumed)[0]).toBe(userTexts(requests[0])[0]);
    expect(userTexts(resumed).at(-1)).toContain("after attempt 1 stopped unexpectedly");
    expect(toolOutputs(resumed)).toEqual(["alpha", "wrote 15 bytes to b.txt"]);
    const recorded = new Set(requests.slice(0, 2).map((r) => JSON.stringify(r.body)));
    expect(requests.slice(3).some((r) => recorded.has(JSON.stringify(r.body)))).toBe(false);
    expect(existsSync(path.join(setup.recordDir, "a2.jsonl"))).toBe(true);
    // The new record is whole on its own: a later attempt could resume from it.
    expect(usageOfRecord(setup.recordDir, 2).calls).toBe(1);
  });
}
