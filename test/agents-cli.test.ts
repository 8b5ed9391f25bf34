// The real agent CLIs (codex, claude, gemini) as subtasks of a real run, each pointed at a fake model server on
// 127.0.0.1; and a plan mixing shell, cli and openai subtasks with deps on three workers.
import { afterEach, describe, expect, it } from "vitest";
import type { Usage } from "../src/schema/common.js";
import { fakeCliProfile, type CliKind } from "./helpers/cli-agents.js";
import { FAKE_USAGE, startFakeCliModels, type FakeCliModels } from "./helpers/fake-cli-models.js";
import { startFakeOpenAI, type FakeOpenAIServer, type RecordedRequest } from "./helpers/fake-openai-server.js";
import { agent, RunRepo } from "./helpers/run-harness.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function cliServer(kind: CliKind): Promise<FakeCliModels> {
  const server = await startFakeCliModels({ script: { file: `${kind}.txt`, content: `written by ${kind}\n`, final: `Wrote ${kind}.txt for you.` } });
  servers.push(server);
  return server;
}

/** What each CLI reports for the two scripted model calls (a tool call, then the final message), as parsed. */
const expectedUsage: Record<CliKind, Usage> = {
  codex: { input_tokens: 2 * FAKE_USAGE.input, cached_input_tokens: 2 * FAKE_USAGE.cached, output_tokens: 2 * FAKE_USAGE.output, reasoning_tokens: 2 * FAKE_USAGE.reasoning, calls: 1 },
  claude: { input_tokens: 2 * FAKE_USAGE.input, cached_input_tokens: 2 * FAKE_USAGE.cached, output_tokens: 2 * FAKE_USAGE.output, reasoning_tokens: 0, calls: 2 },
  gemini: { input_tokens: 2 * FAKE_USAGE.input, cached_input_tokens: 2 * FAKE_USAGE.cached, output_tokens: 2 * (FAKE_USAGE.output + FAKE_USAGE.reasoning), reasoning_tokens: 2 * FAKE_USAGE.reasoning, calls: 2 },
};

describe("agents: the real CLIs in a run", () => {
  it("codex, claude and gemini each complete a subtask: commit, tag, usage in progress.json, final message", async () => {
    const kinds = ["codex", "claude", "gemini"] as const;
    const agents: Record<string, unknown> = {};
    for (const kind of kinds) agents[kind] = fakeCliProfile(kind, (await cliServer(kind)).url, { timeout: "90s" });
    // The profiles carry the built-ins' names: a profile in config replaces the built-in one.
    const repo = await RunRepo.create(
      kinds.map((kind) => ({ id: `by-${kind}`, agent: kind, description: `Create ${kind}.txt.`, files: [`${kind}.txt`] })),
      { agents, workers: 3 },
    );
    const run = repo.start();
    const exit = await run.waitForExit(180_000);

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    const tags = repo.tags();
    for (const kind of kinds) {
      const id = `by-${kind}`;
      const task = repo.task(id);
      expect(repo.show(`codex/task/${id}`, `${kind}.txt`), id).toBe(`written by ${kind}\n`);
      expect(tags.get(`codex/task/${id}`), id).toBe(task.commit);
      expect(repo.taskCommits().get(id), id).toEqual([task.commit]);
      const credits = Math.ceil(((expectedUsage[kind].input_tokens ?? 0) + (expectedUsage[kind].output_tokens ?? 0)) / 1000);
      expect(task.usage, id).toMatchObject({ ...expectedUsage[kind], credits });
      // A lone first attempt that landed keeps no record of its own: its usage is the task's.
      expect([task.attempt, task.attempts], id).toEqual([1, undefined]);
      expect(task.final_message, id).toBe(`Wrote ${kind}.txt for you.`);
    }
    // Claude Code prices its own calls; the others report none.
    expect(repo.task("by-claude").usage?.cost_usd).toBeGreaterThan(0);
    expect(repo.task("by-codex").usage?.cost_usd).toBeUndefined();
  });

  it("a plan mixing shell, cli and openai subtasks with deps runs to the end on three workers", async () => {
    const codex = await cliServer("codex");
    const model: FakeOpenAIServer = await startFakeOpenAI({
      handler: (request: RecordedRequest) => {
        const [task = "", , turn] = String(request.headers["idempotency-key"] ?? "").split(":");
        return turn === "0"
          ? { toolCalls: [{ name: "write_file", arguments: { path: `${task}.txt`, content: `by the openai agent for ${task}\n` } }] }
          : { toolCalls: [{ name: "finish", arguments: { summary: `${task} done` } }] };
      },
    });
    servers.push(model);
    const repo = await RunRepo.create(
      [
        { id: "setup", command: agent("agent-write-file.mjs", "setup.txt", "from the shell") },
        { id: "cli-step", deps: ["setup"], agent: "codex" },
        { id: "model-step", deps: ["setup"], agent: "fake" },
        { id: "model-too", deps: ["setup"], agent: "fake" },
        // Sees every file the others wrote: the deps' work is on the integration branch it starts from.
        { id: "check", deps: ["cli-step", "model-step", "model-too"], command: "test -f setup.txt && test -f codex.txt && test -f model-step.txt && test -f model-too.txt && echo all there > check.txt" },
      ],
      {
        workers: 3,
        agents: {
          codex: fakeCliProfile("codex", codex.url, { timeout: "90s" }),
          fake: { type: "openai", base_url: model.baseURL, api: "responses", model: "fake-model" },
        },
      },
    );
    const run = repo.start([], undefined, { OPENAI_API_KEY: "test-key" });
    const exit = await run.waitForExit(180_000);

    expect(exit, run.describe()).toEqual({ code: 0, signal: null });
    expect([...repo.tags().keys()].sort()).toEqual(["check", "cli-step", "model-step", "model-too", "setup"].map((id) => `codex/task/${id}`));
    expect(repo.show("codex/integration", "check.txt")).toBe("all there\n");
    expect(repo.show("codex/integration", "codex.txt")).toBe("written by codex\n");
    expect(repo.show("codex/integration", "model-too.txt")).toBe("by the openai agent for model-too\n");
    // Deps first: the middle three after setup, check after all of them.
    const at = (type: "task.assigned" | "task.completed", task: string) => run.events.findIndex((e) => e.type === type && "task" in e && e.task === task);
    for (const id of ["cli-step", "model-step", "model-too"]) {
      expect(at("task.assigned", id), id).toBeGreaterThan(at("task.completed", "setup"));
      expect(at("task.assigned", "check"), id).toBeGreaterThan(at("task.completed", id));
    }
    expect(repo.task("setup").usage).toBeUndefined();
    expect(repo.task("cli-step").usage?.credits).toBeGreaterThan(0);
    expect(repo.task("model-step").usage?.calls).toBe(2);
  });
});
