// The cli agent with the real codex, claude and gemini CLIs against a fake model server: each writes a file in a
// linked worktree and the final message and usage are read from its own output; prompts never meet a shell.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliAgent } from "../src/agents/cli/index.js";
import { MAX_ARG_BYTES, promptPointer } from "../src/agents/cli/argv.js";
import { cliAgentInput, fakeCliProfile, tempWorktree, type CliKind } from "./helpers/cli-agents.js";
import { FAKE_USAGE, startFakeCliModels, type FakeCliModels } from "./helpers/fake-cli-models.js";

let server: FakeCliModels;
beforeAll(async () => {
  server = await startFakeCliModels({ script: { file: "hello.txt", content: "hello from the fake model\n", final: "Wrote hello.txt for you." } });
});
afterAll(async () => {
  await server.close();
});

/** Usage each CLI reports for the two scripted model calls (a tool call, then the final message). */
const expectedUsage: Record<CliKind, Record<string, number>> = {
  codex: { input_tokens: 2 * FAKE_USAGE.input, cached_input_tokens: 2 * FAKE_USAGE.cached, output_tokens: 2 * FAKE_USAGE.output, reasoning_tokens: 2 * FAKE_USAGE.reasoning, calls: 1 },
  claude: { input_tokens: 2 * FAKE_USAGE.input, cached_input_tokens: 2 * FAKE_USAGE.cached, output_tokens: 2 * FAKE_USAGE.output, reasoning_tokens: 0, calls: 2 },
  gemini: { input_tokens: 2 * FAKE_USAGE.input, cached_input_tokens: 2 * FAKE_USAGE.cached, output_tokens: 2 * (FAKE_USAGE.output + FAKE_USAGE.reasoning), reasoning_tokens: 2 * FAKE_USAGE.reasoning, calls: 2 },
};

describe("runCliAgent with the real CLIs", () => {
  for (const kind of ["codex", "claude", "gemini"] as const) {
    it(`${kind}: completes a task that writes a file; final message and usage parsed; output in the attempt log`, async () => {
      const where = tempWorktree();
      const before = server.calls(kind).length;
      const input = cliAgentInput(fakeCliProfile(kind, server.url), where);
      const result = await runCliAgent(input);
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true, finalMessage: "Wrote hello.txt for you." });
      expect(readFileSync(path.join(where.worktree, "hello.txt"), "utf8")).toBe("hello from the fake model\n");
      const credits = Math.ceil((expectedUsage[kind]["input_tokens"]! + expectedUsage[kind]["output_tokens"]!) / 1000);
      expect(result.usage).toMatchObject({ ...expectedUsage[kind], credits });
      if (kind === "claude") expect(result.usage.cost_usd).toBeGreaterThan(0);
      else expect(result.usage.cost_usd).toBeUndefined();
      expect(server.calls(kind).length - before).toBe(2);
      // The prompt reached the model whole: the subtask and how to report.
      const first = server.calls(kind)[before]!.text;
      expect(first).toContain("Subtask t1: Write hello.txt");
      expect(first).toContain("codex-worker report --progress N");
      const log = readFileSync(input.logFile, "utf8");
      expect(log).toContain(`--- test-cli (cli, output ${kind})`);
      expect(log).toContain("Wrote hello.txt for you.");
    });
  }

  it("codex preset: its sandbox lets commands write the worktree and the run's .codex (for codex-worker report), nothing else", async () => {
    const where = tempWorktree("t1", { outsideTmp: true });
    const probe = await startFakeCliModels({
      script: { command: `touch ${where.root}/.codex/probe; touch ${where.root}/outside; touch ${where.worktree}/inside; echo probe-ran-$((6*7))` },
    });
    try {
      const profile = fakeCliProfile("codex", probe.url);
      // codex's sandbox always lets $TMPDIR be written: keep it at /tmp, away from this repository.
      profile.env = { ...profile.env, TMPDIR: "/tmp" };
      const result = await runCliAgent(cliAgentInput(profile, where));
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      expect(JSON.stringify(probe.calls("codex").at(-1)!.body)).toContain("probe-ran-42");
      expect(existsSync(path.join(where.worktree, "inside"))).toBe(true);
      expect(existsSync(path.join(where.root, ".codex", "probe"))).toBe(true);
      expect(existsSync(path.join(where.root, "outside"))).toBe(false);
    } finally {
      await probe.close();
    }
  });

  it("never passes {prompt} through a shell: $(…) and backticks in a prompt run nothing", async () => {
    const where = tempWorktree();
    const hostile = "Say $(touch pwned-dollar) and `touch pwned-tick` and ; touch pwned-semi";
    const text = await runCliAgent(
      cliAgentInput({ type: "cli", command: ["printf", "%s", "{prompt}"], output: "text" }, where, { description: hostile }),
    );
    expect(text).toMatchObject({ ok: true });
    expect(text.finalMessage).toContain(hostile);
    const codex = await runCliAgent(cliAgentInput(fakeCliProfile("codex", server.url), where, { description: hostile }));
    expect(codex).toMatchObject({ ok: true });
    expect(JSON.stringify(server.calls("codex").at(-1)!.body)).toContain(JSON.stringify(hostile).slice(1, -1));
    for (const dir of [where.worktree, where.root, process.cwd()]) {
      expect(readdirSync(dir).filter((name) => name.startsWith("pwned"))).toEqual([]);
    }
  });

  it("hands a prompt over 128 KiB to the CLI by file when {prompt} cannot hold it", async () => {
    const where = tempWorktree();
    const huge = `${"Long context line. ".repeat(8000)}THE-END-MARKER`;
    expect(Buffer.byteLength(huge)).toBeGreaterThan(MAX_ARG_BYTES);
    const input = cliAgentInput(fakeCliProfile("codex", server.url), where, { description: huge });
    const result = await runCliAgent(input);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, finalMessage: "Wrote hello.txt for you." });
    const promptFile = path.join(input.recordDir, "a1.prompt.txt");
    const written = readFileSync(promptFile, "utf8");
    expect(written).toContain("THE-END-MARKER");
    expect(written).toContain("codex-worker report --progress N");
    const sent = JSON.stringify(server.calls("codex").at(-2)!.body);
    expect(sent).toContain(promptPointer(promptFile));
    expect(sent).not.toContain("THE-END-MARKER");
    // {prompt_file} gives the file itself, for CLIs that take one.
    const cat = await runCliAgent(cliAgentInput({ type: "cli", command: ["grep", "-o", "THE-END-MARKER", "{prompt_file}"], output: "text" }, where, { description: huge }));
    expect(cat).toMatchObject({ ok: true });
    expect(cat.finalMessage).toBe("THE-END-MARKER");
    expect(existsSync(promptFile)).toBe(true);
  });
});
