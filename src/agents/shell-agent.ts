// The `shell` kind behind the one Agent contract: the subtask's command (else the profile's) in the worktree,
// its output kept in the attempt's log, its stdout tail as the final message. A shell command spends no tokens.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { emptyUsage, type Agent, type AgentFailureKind, type AgentResult } from "./contract.js";
import { runShellAgent, type AgentFailureReason } from "./shell.js";
import { redactSecrets } from "../util/redact.js";

const FAILURE_KINDS: Record<AgentFailureReason, AgentFailureKind> = {
  exit: "failed",
  signal: "failed",
  timeout: "timeout",
  cancelled: "cancelled",
  spawn: "spawn",
};

export const runShellAgentAsAgent: Agent = async (input): Promise<AgentResult> => {
  const profileCommand = input.profile.type === "shell" ? input.profile.command : undefined;
  const command = input.task.command ?? profileCommand;
  if (command === undefined) {
    return { ok: false, kind: "config", reason: `subtask ${input.task.id} has no "command" for the shell agent`, usage: emptyUsage() };
  }
  await mkdir(path.dirname(input.logFile), { recursive: true });
  const log = createWriteStream(input.logFile, { flags: "a" });
  // A log that cannot be written must not fail the work; the outcome still carries the tails.
  log.on("error", (error) => input.log(`attempt log ${input.logFile}: ${error.message}`));
  try {
    const outcome = await runShellAgent({
      command,
      cwd: input.worktree,
      env: input.env,
      timeoutMs: input.timeoutMs,
      signal: input.signal,
      // The log is kept: the environment's secrets an agent prints are not written into it.
      onOutput: (line, stream) => log.write(stream === "stderr" ? `! ${redactSecrets(line)}\n` : `${redactSecrets(line)}\n`),
      ...(input.onSpawn ? { onSpawn: input.onSpawn } : {}),
    });
    const finalMessage = outcome.stdoutTail.trim();
    if (outcome.ok) return { ok: true, finalMessage, usage: emptyUsage() };
    return { ok: false, kind: FAILURE_KINDS[outcome.reason], reason: outcome.message, finalMessage, usage: emptyUsage() };
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
};
