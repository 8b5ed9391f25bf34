// .codex/config.json: settings people own. Every field is optional; resolveConfig fills in the defaults.
import { z } from "zod";
import { parseDuration, tryParseDuration } from "../util/duration.js";
import { Command, Duration } from "./common.js";

const CliProfile = z.strictObject({
  type: z.literal("cli"),
  command: z.array(z.string()).min(1).describe("argv; {prompt}, {prompt_file} and {worktree} are replaced as whole elements, never through a shell"),
  env: z.record(z.string(), z.string()).optional().describe("added to the agent's environment"),
  output: z.enum(["codex", "claude", "gemini", "text"]).optional().describe("how to read its stdout (default text)"),
  timeout: Duration.optional().describe("wall-clock limit of one run (default: the subtask's timeout)"),
  kill_grace: Duration.optional().describe("time between SIGINT and SIGKILL of its process group (default 5s)"),
});

const OpenAIProfile = z.strictObject({
  type: z.literal("openai"),
  model: z.string().min(1).optional().describe("model name (default gpt-5.5)"),
  base_url: z.string().optional().describe("endpoint (default $OPENAI_BASE_URL, else OpenAI)"),
  api_key_env: z.string().optional().describe("environment variable holding the key (default OPENAI_API_KEY)"),
  api: z.enum(["responses", "chat", "auto"]).optional().describe("auto: Responses on api.openai.com, Chat Completions elsewhere"),
  max_turns: z.number().int().min(1).optional().describe("model calls per attempt (default 50)"),
  timeout: Duration.optional().describe("limit of one model call (default 2m)"),
  max_retries: z.number().int().min(0).optional().describe("retries of a failing model call: 408/409/429/5xx, connection errors, timeouts (default 6)"),
  retry_delay: Duration.optional().describe("first backoff delay between retries, doubling each time up to 30s (default 1s)"),
  temperature: z.number().min(0).max(2).optional(),
  reasoning: z.record(z.string(), z.unknown()).optional().describe("passed through as `reasoning` (Responses) / `reasoning_effort` (Chat)"),
});

const ShellProfile = z.strictObject({
  type: z.literal("shell"),
  command: Command.optional().describe("run when the subtask has no command of its own"),
});

export const AgentProfile = z.discriminatedUnion("type", [CliProfile, OpenAIProfile, ShellProfile]);
export type AgentProfile = z.infer<typeof AgentProfile>;
export type CliProfile = z.infer<typeof CliProfile>;
export type OpenAIProfile = z.infer<typeof OpenAIProfile>;
export type ShellProfile = z.infer<typeof ShellProfile>;

export const ConfigFile = z.strictObject({
  $schema: z.string().optional(),
  workers: z.number().int().min(1).max(64).optional().describe("how many workers the lead runs at once (default 2)"),
  heartbeat: Duration.optional().describe("how often a worker renews its lease (default 2s; at least 50ms)"),
  stall_timeout: Duration.optional().describe("silence after which a worker is judged stalled and killed (default 60s; longer than heartbeat)"),
  max_attempts: z.number().int().min(1).optional().describe("attempts per subtask before it fails (default 3)"),
  backoff: z
    .strictObject({
      initial: Duration.optional().describe("first retry delay (default 1s)"),
      max: Duration.optional().describe("longest retry delay (default 30s)"),
      factor: z.number().min(1).optional().describe("growth per attempt (default 2)"),
    })
    .optional(),
  agent: z.string().optional().describe('default agent profile for subtasks (default "shell"; built in: codex, claude, gemini, openai)'),
  agents: z.record(z.string(), AgentProfile).optional().describe("agent profiles by name; one named like a built-in replaces it"),
  task_budget: z.number().nonnegative().optional().describe("credits a subtask may spend when it sets no `budget` (default: no limit)"),
  run_budget: z.number().nonnegative().optional().describe("credits one run may spend; when reached no new attempt starts"),
  credits_per_1k_tokens: z.number().nonnegative().optional().describe("credits per 1000 tokens (default 1)"),
  credits_per_1k_cached_tokens: z.number().nonnegative().optional().describe("credits per 1000 cached input tokens (default: credits_per_1k_tokens)"),
  guard: z
    .strictObject({
      files: z.boolean().optional().describe("every subtask's `files` is an allowlist"),
      forbid: z.array(z.string()).optional().describe("globs no subtask may change, e.g. .github/**"),
    })
    .optional(),
  task_timeout: Duration.optional().describe("default wall-clock limit of one attempt (default 30m)"),
  integration_branch: z.string().optional().describe('branch the lead merges finished subtasks into (default "codex/integration")'),
  review: z
    .strictObject({
      command: Command.optional().describe("must exit 0 for a subtask to count as completed"),
      agent: z.string().optional().describe("agent profile that reviews each attempt's diff (pass/fail with reasons)"),
    })
    .optional(),
  lock_stale: Duration.optional().describe("age after which a lock of a dead process is taken over (default 10s; at least 1s)"),
  fsync: z.boolean().optional().describe("fsync every state write for power-loss durability (default true)"),
}).superRefine((file, ctx) => {
  const ms = (value: string | number | undefined, fallback: string): number | undefined => tryParseDuration(value ?? fallback);
  const timing = { heartbeatMs: ms(file.heartbeat, DEFAULT_HEARTBEAT), stallTimeoutMs: ms(file.stall_timeout, DEFAULT_STALL_TIMEOUT), lockStaleMs: ms(file.lock_stale, DEFAULT_LOCK_STALE) };
  for (const problem of timingProblems(timing)) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message, input: file[problem.field] });
});
export type ConfigFile = z.infer<typeof ConfigFile>;

const DEFAULT_HEARTBEAT = "2s";
const DEFAULT_STALL_TIMEOUT = "60s";
const DEFAULT_LOCK_STALE = "10s";

/**
 * The shortest settings that still work. A heartbeat of 0 ms restarted crashing workers in a tight loop; a stall
 * timeout not longer than the heartbeat kills every worker between two beats; a lock that goes stale in less
 * than a second is taken from a live writer.
 */
export const MIN_HEARTBEAT_MS = 50;

/**
 * How often a worker with no task renews its entry: the lead judges stalls only for running tasks, and checks an idle
 * worker's process identity before it assigns, so an idle beat need not come as often as a busy one. A third of the
 * stall timeout still lets a worker that missed an assignment's wake-up find it well before the attempt is judged
 * stalled. Every beat is a locked rewrite of progress.json, which grows with the plan.
 */
export function idleHeartbeatMs(timing: { heartbeatMs: number; stallTimeoutMs: number }): number {
  return Math.max(timing.heartbeatMs, Math.floor(timing.stallTimeoutMs / 3));
}
export const MIN_LOCK_STALE_MS = 1000;

export interface TimingProblem {
  field: "heartbeat" | "stall_timeout" | "lock_stale";
  message: string;
}

/** Every timing setting below its minimum, by its config field; undefined values (not durations) are skipped. */
export function timingProblems(timing: { heartbeatMs?: number | undefined; stallTimeoutMs?: number | undefined; lockStaleMs?: number | undefined }): TimingProblem[] {
  const problems: TimingProblem[] = [];
  const { heartbeatMs, stallTimeoutMs, lockStaleMs } = timing;
  if (heartbeatMs !== undefined && heartbeatMs < MIN_HEARTBEAT_MS) {
    problems.push({ field: "heartbeat", message: `${heartbeatMs}ms is too short: a heartbeat must be at least ${MIN_HEARTBEAT_MS}ms` });
  }
  if (stallTimeoutMs !== undefined && heartbeatMs !== undefined && stallTimeoutMs <= heartbeatMs) {
    problems.push({ field: "stall_timeout", message: `${stallTimeoutMs}ms must be longer than the heartbeat (${heartbeatMs}ms), or every worker is judged stalled between two beats` });
  }
  if (lockStaleMs !== undefined && lockStaleMs < MIN_LOCK_STALE_MS) {
    problems.push({ field: "lock_stale", message: `${lockStaleMs}ms is too short: a lock must be allowed at least ${MIN_LOCK_STALE_MS}ms before it is taken over` });
  }
  return problems;
}

export interface Config {
  workers: number;
  heartbeatMs: number;
  stallTimeoutMs: number;
  maxAttempts: number;
  backoff: { initialMs: number; maxMs: number; factor: number };
  agent: string;
  agents: Record<string, AgentProfile>;
  taskBudget: number | undefined;
  runBudget: number | undefined;
  creditsPer1kTokens: number;
  creditsPer1kCachedTokens: number;
  guard: { files: boolean; forbid: string[] };
  reviewAgent: string | undefined;
  taskTimeoutMs: number;
  integrationBranch: string;
  reviewCommand: string | string[] | undefined;
  lockStaleMs: number;
  fsync: boolean;
}

export function resolveConfig(file: ConfigFile | undefined): Config {
  const c = file ?? {};
  return {
    workers: c.workers ?? 2,
    heartbeatMs: parseDuration(c.heartbeat ?? DEFAULT_HEARTBEAT, "heartbeat"),
    stallTimeoutMs: parseDuration(c.stall_timeout ?? DEFAULT_STALL_TIMEOUT, "stall_timeout"),
    maxAttempts: c.max_attempts ?? 3,
    backoff: {
      initialMs: parseDuration(c.backoff?.initial ?? "1s", "backoff.initial"),
      maxMs: parseDuration(c.backoff?.max ?? "30s", "backoff.max"),
      factor: c.backoff?.factor ?? 2,
    },
    agent: c.agent ?? "shell",
    agents: c.agents ?? {},
    taskBudget: c.task_budget,
    runBudget: c.run_budget,
    creditsPer1kTokens: c.credits_per_1k_tokens ?? 1,
    creditsPer1kCachedTokens: c.credits_per_1k_cached_tokens ?? c.credits_per_1k_tokens ?? 1,
    guard: { files: c.guard?.files ?? false, forbid: c.guard?.forbid ?? [] },
    reviewAgent: c.review?.agent,
    taskTimeoutMs: parseDuration(c.task_timeout ?? "30m", "task_timeout"),
    integrationBranch: c.integration_branch ?? "codex/integration",
    reviewCommand: c.review?.command,
    lockStaleMs: parseDuration(c.lock_stale ?? DEFAULT_LOCK_STALE, "lock_stale"),
    fsync: c.fsync ?? true,
  };
}
