// An AgentInput for running the openai agent directly on a real git worktree against the fake model server.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AgentInput, LiveMessage } from "../../src/agents/contract.js";
import type { OpenAIProfile } from "../../src/schema/config.js";
import type { RecordedRequest } from "./fake-openai-server.js";
import { git, tempDir, tempRepo } from "./temp.js";

export interface AgentSetup {
  repo: string;
  worktree: string;
  recordDir: string;
  logFile: string;
  progress: { percent: number | undefined; detail: string | undefined }[];
}

/** A temp repo with `files` committed, and a linked worktree of it on branch task/t1. */
export function agentWorktree(files: Record<string, string> = {}): AgentSetup {
  const repo = tempRepo();
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), content);
  }
  git(repo, ["add", "-A"]);
  git(repo, ["commit", "-q", "-m", "files", "--allow-empty"]);
  const worktree = path.join(tempDir("codex-wt-"), "t1");
  git(repo, ["worktree", "add", "-q", "-b", "task/t1", worktree]);
  const recordDir = path.join(repo, ".codex", "agents", "t1");
  const logFile = path.join(repo, ".codex", "t1.log");
  return { repo, worktree, recordDir, logFile, progress: [] };
}

export function agentInput(setup: AgentSetup, baseURL: string, overrides: Partial<AgentInput> & { profile?: Partial<OpenAIProfile> } = {}): AgentInput {
  const { profile, ...rest } = overrides;
  return {
    profileName: "openai",
    profile: { type: "openai", base_url: baseURL, api: "chat", model: "gpt-5.5", max_retries: 2, retry_delay: "50ms", ...profile },
    task: { id: "t1", name: "Make greet say hello", acceptance: ["greet() returns hello"], files: ["src/greet.js"] },
    token: { task: "t1", attempt: 1, worker: "w1" },
    root: setup.repo,
    worktree: setup.worktree,
    history: { messages: [], attempts: [], conflicts: [] },
    budget: { limit: undefined, spentBefore: 0, creditsOf: (usage) => Math.ceil(((usage.input_tokens ?? 0) + (usage.output_tokens ?? 0)) / 1000) },
    env: { OPENAI_API_KEY: "test-key" },
    notesFile: path.join(setup.repo, ".codex", "t1.notes"),
    logFile: setup.logFile,
    recordDir: setup.recordDir,
    timeoutMs: 60_000,
    signal: new AbortController().signal,
    reportProgress: async (percent, detail) => {
      setup.progress.push({ percent, detail });
    },
    log: () => undefined,
    ...rest,
  };
}

/** The tool outputs (in order) a request carries, for either API. */
export function toolOutputs(request: RecordedRequest | undefined): string[] {
  const items = (request?.body.input ?? request?.body.messages ?? []) as Record<string, unknown>[];
  return items.flatMap((item) =>
    item.type === "function_call_output" ? [String(item.output)] : item.role === "tool" ? [String(item.content)] : [],
  );
}

/** The user messages a request carries, for either API. */
export function userTexts(request: RecordedRequest | undefined): string[] {
  const items = (request?.body.input ?? request?.body.messages ?? []) as Record<string, unknown>[];
  return items.flatMap((item) => (item.role === "user" && typeof item.content === "string" ? [item.content] : []));
}

/** A live inbox: messages pushed by the test are handed to the agent once, and acknowledged when it says so. */
export function liveInbox(): { push: (m: LiveMessage) => void; acked: string[]; take: NonNullable<AgentInput["takeMessages"]> } {
  const pending: LiveMessage[] = [];
  const acked: string[] = [];
  return {
    push: (message) => pending.push(message),
    acked,
    take: async () => {
      const messages = pending.splice(0);
      return { messages, ack: async () => void acked.push(...messages.map((m) => m.id)) };
    },
  };
}

export function readText(file: string): string {
  return readFileSync(file, "utf8");
}
