// The one contract the worker drives every agent kind through (shell, cli, openai): what an attempt is given,
// and what it gives back. Agents never write progress.json themselves; the worker does, fenced by the token.
import type { AgentProfile } from "../schema/config.js";
import type { Usage } from "../schema/common.js";

export interface AgentTask {
  id: string;
  name: string;
  description?: string | undefined;
  /** Acceptance criteria, one per entry. */
  acceptance: string[];
  /** Files (globs) the subtask is expected to touch. */
  files: string[];
  /** For the shell agent: the subtask's command. */
  command?: string | string[] | undefined;
  /** JSON Schema the structured result must match, when the subtask has one. */
  resultSchema?: Record<string, unknown> | undefined;
}

/** What happened before this attempt, for the prompt: people's notes, review feedback, conflicts, earlier ends. */
export interface AgentHistory {
  /** Notes and feedback already acknowledged (by earlier attempts or before the agent started), oldest first. */
  messages: { kind: string; from: string; text: string; at: string }[];
  /** How earlier attempts ended. */
  attempts: { attempt: number; outcome: string; reason?: string | undefined }[];
  /** Files of the last merge conflict with the integration branch, if any. */
  conflicts: string[];
}

/** Credits over all attempts of the subtask. `limit` undefined: no budget. */
export interface AgentBudget {
  limit: number | undefined;
  /** Charged to earlier attempts (and the run's other spending does not count here). */
  spentBefore: number;
  /** Credits of a usage, with the config's rates. */
  creditsOf: (usage: Usage) => number;
}

/** A note or feedback a person (or the reviewer, or the lead) sent while the attempt runs. */
export interface LiveMessage {
  id: string;
  kind: string;
  from: string;
  text: string;
  at: string;
}

export interface AgentInput {
  /** Profile name as the subtask or config named it (for messages and metrics). */
  profileName: string;
  profile: AgentProfile;
  task: AgentTask;
  token: { task: string; attempt: number; worker: string };
  /** The repository's root (the user's checkout: never touched) and the attempt's own worktree. */
  root: string;
  worktree: string;
  history: AgentHistory;
  budget: AgentBudget;
  /** Environment for processes the agent starts: CODEX_* variables and PATH with the codex-worker shim. */
  env: Record<string, string>;
  /** Where later notes are appended for agents that read files (CLI and shell agents). */
  notesFile: string;
  /** The attempt's log, for full tool output and transcripts (the model gets a cut). */
  logFile: string;
  /** The `.codex/agents/<task>/` folder: per-attempt call records of the openai agent. */
  recordDir: string;
  timeoutMs: number;
  /** Aborted on cancel, block, stall judged by the lead, or the worker stopping. */
  signal: AbortSignal;
  /** Reports progress and renews the lease (`report_progress`, like `codex-worker report`). */
  reportProgress: (percent: number | undefined, detail: string | undefined) => Promise<void>;
  /**
   * Notes and feedback that arrived and were not yet taken. The openai agent takes them before each call and
   * calls `ack` once they are in the conversation; for the others the worker writes them to `notesFile`.
   */
  takeMessages?: () => Promise<{ messages: LiveMessage[]; ack: () => Promise<void> }>;
  /**
   * Set when this attempt continues an earlier one of the same subtask that stopped unexpectedly (crash, kill, stall)
   * and the worktree starts from that attempt's kept work on the same base. The openai agent then replays the
   * conversation recorded in `<recordDir>/a<fromAttempt>.jsonl` instead of starting afresh: no call whose answer is
   * recorded is made again. That attempt's spending, if it never reported it, is `usageOfRecord(recordDir, fromAttempt)`.
   */
  resume?: { fromAttempt: number };
  /** The pid of a process group the agent started (the lead kills it should the worker die). */
  onSpawn?: (pid: number) => void;
  log: (line: string) => void;
}

export type AgentFailureKind = "failed" | "timeout" | "cancelled" | "budget" | "spawn" | "config";

export type AgentResult =
  | { ok: true; finalMessage: string; result?: unknown; usage: Usage }
  | { ok: false; kind: AgentFailureKind; reason: string; finalMessage?: string; result?: unknown; usage: Usage };

/** Every agent kind implements this. A thrown error is a bug; a failure is an `ok: false` result. */
export type Agent = (input: AgentInput) => Promise<AgentResult>;

export function emptyUsage(): Usage {
  return { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, calls: 0, credits: 0 };
}

/** The sum of two usages; cost_usd only when either has one. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage {
  const sum = emptyUsage();
  for (const key of ["input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "calls", "credits"] as const) {
    sum[key] = (a?.[key] ?? 0) + (b?.[key] ?? 0);
  }
  if (a?.cost_usd !== undefined || b?.cost_usd !== undefined) sum.cost_usd = (a?.cost_usd ?? 0) + (b?.cost_usd ?? 0);
  return sum;
}

/** The reason a spent budget stops a task: the openai agent, the worker and the lead use the same words. */
export function budgetExhaustedReason(task: string, used: number, limit: number): string {
  return `budget exhausted: used ${used} of ${limit} credits — raise \`budget\` of ${task} and unblock`;
}

/** credits = ceil(uncached input and output tokens / 1000 × rate + cached input tokens / 1000 × cached rate). */
export function creditsFor(usage: Usage, rates: { creditsPer1kTokens: number; creditsPer1kCachedTokens: number }): number {
  const cached = usage.cached_input_tokens ?? 0;
  const uncached = Math.max(0, (usage.input_tokens ?? 0) - cached) + (usage.output_tokens ?? 0);
  return Math.ceil((uncached / 1000) * rates.creditsPer1kTokens + (cached / 1000) * rates.creditsPer1kCachedTokens);
}
