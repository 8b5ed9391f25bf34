// The cli agent when things go wrong: the real CLIs against a server answering 500 fail with their own error text;
// a CLI's own failure wins over exit 0; a CLI hanging on a dead server is stopped (SIGINT, then SIGKILL) with its group.
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProcessGroupAlive } from "../src/agents/index.js";
import { runCliAgent } from "../src/agents/cli/index.js";
import type { AgentResult } from "../src/agents/contract.js";
import { cliAgentInput, fakeCliProfile, tempWorktree } from "./helpers/cli-agents.js";
import { startFakeCliModels, type FakeCliModels } from "./helpers/fake-cli-models.js";
import { repoRoot } from "./helpers/temp.js";

const node = process.execPath;
const fixture = (name: string): string => path.join(repoRoot, "test", "fixtures", name);

let failing: FakeCliModels;
beforeAll(async () => {
  failing = await startFakeCliModels({ failStatus: 500, failMessage: "model overloaded: scripted 500 from the fake server" });
});
afterAll(async () => {
  await failing.close();
});

function failure(result: AgentResult): Extract<AgentResult, { ok: false }> {
  if (result.ok) throw new Error(`expected a failure, got success: ${result.finalMessage}`);
  return result;
}

/** A URL on 127.0.0.1 where nothing listens (a port we bound, then freed). */
async function deadUrl(): Promise<string> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 9}`;
}

describe("runCliAgent failures with the real CLIs", () => {
  it("codex against HTTP 500: fails with codex's own turn.failed text and its exit code", async () => {
    const input = cliAgentInput(fakeCliProfile("codex", failing.url), tempWorktree());
    const result = failure(await runCliAgent(input));
    const failed = readFileSync(input.logFile, "utf8").split("\n").find((line) => line.includes('"turn.failed"'));
    const ownText = (JSON.parse(failed ?? "{}") as { error?: { message?: string } }).error?.message;
    expect(ownText).toBeTruthy();
    expect(result.kind).toBe("failed");
    expect(result.reason.startsWith(`test-cli: ${ownText} (exit: `)).toBe(true);
    expect(result.reason).toContain("exit code 1");
    expect(failing.calls("codex").length).toBeGreaterThan(0);
  });

  it("claude against HTTP 500: fails with claude's own result text (is_error)", async () => {
    const result = failure(await runCliAgent(cliAgentInput(fakeCliProfile("claude", failing.url), tempWorktree())));
    expect(result.kind).toBe("failed");
    expect(result.reason).toMatch(/^test-cli: API Error: 500 model overloaded: scripted 500 from the fake server/);
  });

  it("gemini against HTTP 500: fails with gemini's own result error", async () => {
    const result = failure(await runCliAgent(cliAgentInput(fakeCliProfile("gemini", failing.url), tempWorktree())));
    expect(result.kind).toBe("failed");
    expect(result.reason).toMatch(/^test-cli: .*model overloaded: scripted 500 from the fake server/);
  });

  it("codex hanging on a dead server (it never exits by itself): stopped at the timeout, no process of its group left", async () => {
    let pid = 0;
    const input = cliAgentInput(fakeCliProfile("codex", await deadUrl(), { timeout: "3s", kill_grace: "2s" }), tempWorktree(), {}, {
      onSpawn: (spawned) => {
        pid = spawned;
      },
    });
    const started = performance.now();
    const result = failure(await runCliAgent(input));
    expect(result.kind).toBe("timeout");
    expect(result.reason).toContain("timed out after 3000 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
    expect(pid).toBeGreaterThan(0);
    expect(isProcessGroupAlive(pid)).toBe(false);
  });

  it("cancel through the signal stops a hanging codex and its group", async () => {
    const controller = new AbortController();
    let pid = 0;
    const input = cliAgentInput(fakeCliProfile("codex", await deadUrl()), tempWorktree(), {}, {
      signal: controller.signal,
      onSpawn: (spawned) => {
        pid = spawned;
        setTimeout(() => controller.abort(), 500);
      },
    });
    const result = failure(await runCliAgent(input));
    expect(result.kind).toBe("cancelled");
    expect(isProcessGroupAlive(pid)).toBe(false);
  });
});

describe("runCliAgent verdicts and stopping, with fixture CLIs", () => {
  const where = tempWorktree("fixtures");
  const printing = (output: "codex" | "claude" | "gemini", lines: unknown[], code = 0, stderr = "") =>
    cliAgentInput({ type: "cli", command: [node, fixture("cli-print.mjs"), JSON.stringify(lines), String(code), stderr], output }, where);

  it("a CLI's own failure wins over exit 0 (claude is_error, codex turn.failed, gemini status error)", async () => {
    const claude = failure(await runCliAgent(printing("claude", [{ type: "result", subtype: "success", is_error: true, result: "API Error: interrupted", num_turns: 1, usage: { input_tokens: 10, output_tokens: 2 } }])));
    expect(claude.reason).toBe("test-cli: API Error: interrupted (exit code 0)");
    expect(claude.usage).toMatchObject({ input_tokens: 10, output_tokens: 2, calls: 1, credits: 1 });
    const codex = failure(await runCliAgent(printing("codex", [{ type: "turn.started" }, { type: "turn.failed", error: { message: "stream disconnected" } }])));
    expect(codex.reason).toBe("test-cli: stream disconnected (exit code 0)");
    const gemini = failure(await runCliAgent(printing("gemini", [{ type: "result", status: "error", error: { type: "x", message: "quota exceeded" }, stats: {} }], 0, "some warning")));
    expect(gemini.reason).toBe("test-cli: quota exceeded (exit code 0 — stderr: some warning)");
  });

  it("exit 0 without the CLI's result is a failure that says what to check", async () => {
    const result = failure(await runCliAgent(printing("codex", ["plain text, no JSON"])));
    expect(result.reason).toBe("test-cli: exited 0 but printed no codex result — check that its command asks for codex's JSON output");
  });

  it("a non-zero exit with the CLI's result success is still a failure", async () => {
    const result = failure(await runCliAgent(printing("claude", [{ type: "result", is_error: false, result: "done" }], 3, "boom")));
    expect(result.kind).toBe("failed");
    expect(result.reason).toContain("failed with exit code 3 — stderr: boom");
    expect(result.finalMessage).toBe("done");
  });

  it("claude's structured_output becomes the result; the cost is kept", async () => {
    const result = await runCliAgent(printing("claude", [{ type: "result", is_error: false, result: "ok", structured_output: { n: 3 }, total_cost_usd: 0.25, num_turns: 2, usage: { input_tokens: 1, cache_read_input_tokens: 1000, cache_creation_input_tokens: 5, output_tokens: 7 } }]));
    expect(result).toMatchObject({ ok: true, finalMessage: "ok", result: { n: 3 }, usage: { input_tokens: 1006, cached_input_tokens: 1000, output_tokens: 7, calls: 2, cost_usd: 0.25, credits: 2 } });
  });

  it("keeps the profile's secrets out of the attempt log, the final message and the reason", async () => {
    const secret = "sk-fake-secret-0123456789";
    const input = cliAgentInput(
      { type: "cli", command: ["sh", "-c", 'echo "stdout $MY_API_KEY"; echo "stderr $MY_API_KEY" >&2; exit 3'], env: { MY_API_KEY: secret } },
      where,
    );
    const result = failure(await runCliAgent(input));
    const log = readFileSync(input.logFile, "utf8");
    expect(log).toContain("stdout ***\n! stderr ***\n");
    expect(`${log}${result.reason}${result.finalMessage ?? ""}`).not.toContain(secret);
    expect(result.reason).toContain("stderr: stderr ***");
    expect(result.finalMessage).toBe("stdout ***");
  });

  it("reads a result event far longer than 64 KiB whole", async () => {
    const script = "process.stdout.write(JSON.stringify({ type: 'result', is_error: false, result: 'x'.repeat(300000) + 'END', num_turns: 1 }) + '\\n')";
    const result = await runCliAgent(cliAgentInput({ type: "cli", command: [node, "-e", script], output: "claude" }, where));
    expect(result.ok).toBe(true);
    expect(result.finalMessage).toHaveLength(300003);
    expect(result.finalMessage.endsWith("END")).toBe(true);
  });

  it("stops with SIGINT first; a CLI ignoring it is SIGKILLed after kill_grace", async () => {
    const polite = cliAgentInput({ type: "cli", command: [node, fixture("cli-stop.mjs"), "exit"], timeout: "1s", kill_grace: "10s" }, where);
    const started = performance.now();
    const stopped = failure(await runCliAgent(polite));
    expect(stopped.kind).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(8000);
    expect(readFileSync(polite.logFile, "utf8")).toMatch(/started \d+\ngot SIGINT\n/);
    let pid = 0;
    const stubborn = cliAgentInput({ type: "cli", command: [node, fixture("cli-stop.mjs"), "ignore"], timeout: "1s", kill_grace: "1s" }, where, {}, {
      onSpawn: (spawned) => {
        pid = spawned;
      },
    });
    const killed = failure(await runCliAgent(stubborn));
    expect(killed.kind).toBe("timeout");
    expect(killed.reason).toContain("SIGKILL");
    expect(isProcessGroupAlive(pid)).toBe(false);
  });
});
