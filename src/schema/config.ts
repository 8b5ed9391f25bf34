// .codex/config.json: settings people own. Every field is optional; resolveConfig fills in the defaults.
import { z } from "zod";
import { parseDuration } from "../util/duration.js";
import { Command, Duration } from "./common.js";

export const ConfigFile = z.strictObject({
  $schema: z.string().optional(),
  workers: z.number().int().min(1).max(64).optional().describe("how many workers the lead runs at once (default 2)"),
  heartbeat: Duration.optional().describe("how often a worker renews its lease (default 2s)"),
  stall_timeout: Duration.optional().describe("silence after which a worker is judged stalled and killed (default 60s)"),
  max_attempts: z.number().int().min(1).optional().describe("attempts per subtask before it fails (default 3)"),
  backoff: z
    .strictObject({
      initial: Duration.optional().describe("first retry delay (default 1s)"),
      max: Duration.optional().describe("longest retry delay (default 30s)"),
      factor: z.number().min(1).optional().describe("growth per attempt (default 2)"),
    })
    .optional(),
  agent: z.string().optional().describe('default agent for subtasks: "shell" (default), "cli", "openai"'),
  task_timeout: Duration.optional().describe("default wall-clock limit of one attempt (default 30m)"),
  integration_branch: z.string().optional().describe('branch the lead merges finished subtasks into (default "codex/integration")'),
  review: z
    .strictObject({ command: Command.optional().describe("must exit 0 for a subtask to count as completed") })
    .optional(),
  lock_stale: Duration.optional().describe("age after which a lock of a dead process is taken over (default 10s)"),
  fsync: z.boolean().optional().describe("fsync every state write for power-loss durability (default true)"),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

export interface Config {
  workers: number;
  heartbeatMs: number;
  stallTimeoutMs: number;
  maxAttempts: number;
  backoff: { initialMs: number; maxMs: number; factor: number };
  agent: string;
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
    heartbeatMs: parseDuration(c.heartbeat ?? "2s", "heartbeat"),
    stallTimeoutMs: parseDuration(c.stall_timeout ?? "60s", "stall_timeout"),
    maxAttempts: c.max_attempts ?? 3,
    backoff: {
      initialMs: parseDuration(c.backoff?.initial ?? "1s", "backoff.initial"),
      maxMs: parseDuration(c.backoff?.max ?? "30s", "backoff.max"),
      factor: c.backoff?.factor ?? 2,
    },
    agent: c.agent ?? "shell",
    taskTimeoutMs: parseDuration(c.task_timeout ?? "30m", "task_timeout"),
    integrationBranch: c.integration_branch ?? "codex/integration",
    reviewCommand: c.review?.command,
    lockStaleMs: parseDuration(c.lock_stale ?? "10s", "lock_stale"),
    fsync: c.fsync ?? true,
  };
}
