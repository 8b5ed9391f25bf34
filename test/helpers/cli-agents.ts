// The real agent CLIs pointed at a fake model server: a profile (the built-in preset plus the flags and environment
// that aim it at 127.0.0.1 with few retries and a throwaway home) and an AgentInput for driving runCliAgent directly.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll } from "vitest";
import { CLI_PRESETS } from "../../src/agents/cli/presets.js";
import type { AgentInput, AgentTask } from "../../src/agents/contract.js";
import { creditsFor } from "../../src/agents/contract.js";
import type { CliProfile } from "../../src/schema/config.js";
import { git, repoRoot, tempDir, tempRepo } from "./temp.js";

export type CliKind = "codex" | "claude" | "gemini";

/** node_modules/.bin, where the three CLIs are installed. */
export const cliBinDir = path.join(repoRoot, "node_modules", ".bin");

/** Models each fake setup asks for (codex drops apply_patch for a model it does not know). */
export const FAKE_MODELS: Record<CliKind, string> = { codex: "gpt-5.5", claude: "claude-sonnet-4-5", gemini: "gemini-2.5-flash" };

/**
 * The built-in preset of `kind`, run from node_modules/.bin, aimed at `serverUrl` (a fake-cli-models server or a
 * dead port) with retries off and its own temporary home, so no login of the machine is read or written.
 */
export function fakeCliProfile(kind: CliKind, serverUrl: string, extra: Partial<Pick<CliProfile, "timeout" | "kill_grace">> = {}): CliProfile {
  const preset = CLI_PRESETS[kind];
  const [, ...rest] = preset.command;
  const home = tempDir(`codex-${kind}-home-`);
  const binary = path.join(cliBinDir, kind);
  if (kind === "codex") {
    const [sub, ...args] = rest;
    const provider = `model_providers.fake={name="fake",base_url="${serverUrl}/v1",wire_api="responses",request_max_retries=0,stream_max_retries=0}`;
    return {
      ...preset,
      ...extra,
      command: [binary, sub ?? "exec", "-m", FAKE_MODELS.codex, "--disable", "plugins", "-c", "analytics.enabled=false", "-c", "model_provider=fake", "-c", provider, ...args],
      env: { CODEX_HOME: home },
    };
  }
  if (kind === "claude") {
    return {
      ...preset,
      ...extra,
      command: [binary, "--model", FAKE_MODELS.claude, ...rest],
      env: {
        ANTHROPIC_BASE_URL: serverUrl,
        ANTHROPIC_API_KEY: "dummy-key",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        CLAUDE_CONFIG_DIR: home,
        CLAUDE_CODE_MAX_RETRIES: "0",
      },
    };
  }
  mkdirSync(path.join(home, ".gemini"));
  const settings = {
    general: { maxAttempts: 1 },
    security: { auth: { selectedType: "gemini-api-key" } },
    telemetry: { enabled: false },
    privacy: { usageStatisticsEnabled: false },
  };
  writeFileSync(path.join(home, ".gemini", "settings.json"), `${JSON.stringify(settings)}\n`);
  return {
    ...preset,
    ...extra,
    command: [binary, "-m", FAKE_MODELS.gemini, ...rest],
    env: { HOME: home, GEMINI_API_KEY: "dummy-key", GOOGLE_GEMINI_BASE_URL: serverUrl },
  };
}

const madeOutsideTmp: string[] = [];
afterAll(() => {
  for (const dir of madeOutsideTmp.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A temp repository and a linked worktree of it under .codex/worktrees/<task>, as the worker makes them.
 * `outsideTmp`: under /var/tmp instead, where codex's sandbox (which always lets /tmp be written) decides.
 */
export function tempWorktree(task = "t1", options: { outsideTmp?: boolean } = {}): { root: string; worktree: string } {
  let root: string;
  if (options.outsideTmp) {
    root = mkdtempSync(path.join("/var/tmp", "codex-repo-"));
    madeOutsideTmp.push(root);
    git(root, ["init", "-q", "-b", "main"]);
    git(root, ["-c", "user.email=test@example.com", "-c", "user.name=Test", "commit", "-q", "--allow-empty", "-m", "initial"]);
  } else {
    root = tempRepo();
  }
  const worktree = path.join(root, ".codex", "worktrees", task);
  git(root, ["worktree", "add", "-q", "-b", `codex/task/${task}`, worktree]);
  return { root, worktree };
}

/** An AgentInput for runCliAgent, as the worker would give it, with a log collector. */
export function cliAgentInput(
  profile: CliProfile,
  where: { root: string; worktree: string },
  task: Partial<AgentTask> = {},
  more: Partial<AgentInput> = {},
): AgentInput & { lines: string[] } {
  const lines: string[] = [];
  const codexDir = path.join(where.root, ".codex");
  const fullTask: AgentTask = { id: "t1", name: "Write hello.txt", description: "Create hello.txt.", acceptance: ["hello.txt exists"], files: ["hello.txt"], ...task };
  return {
    profileName: "test-cli",
    profile,
    task: fullTask,
    token: { task: fullTask.id, attempt: 1, worker: "w1" },
    root: where.root,
    worktree: where.worktree,
    history: { messages: [], attempts: [], conflicts: [] },
    budget: { limit: undefined, spentBefore: 0, creditsOf: (usage) => creditsFor(usage, { creditsPer1kTokens: 1, creditsPer1kCachedTokens: 1 }) },
    env: { CODEX_TASK: fullTask.id, CODEX_ATTEMPT: "1", CODEX_WORKER: "w1", CODEX_NOTES_FILE: path.join(codexDir, "notes", `${fullTask.id}.a1.txt`) },
    notesFile: path.join(codexDir, "notes", `${fullTask.id}.a1.txt`),
    logFile: path.join(codexDir, "logs", `${fullTask.id}.a1.log`),
    recordDir: path.join(codexDir, "agents", fullTask.id),
    timeoutMs: 120_000,
    signal: new AbortController().signal,
    reportProgress: async () => undefined,
    log: (line) => lines.push(line),
    lines,
    ...more,
  };
}
