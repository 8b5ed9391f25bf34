// The `cli` agent: runs an agent CLI (codex, claude, gemini or any other) on the task prompt in the worktree, reads
// its own verdict, final message and usage from its stdout, and stops its whole process group on timeout or cancel.
import path from "node:path";
import type { CliProfile } from "../../schema/config.js";
import { parseDuration } from "../../util/duration.js";
import { redactSecrets } from "../../util/redact.js";
import { emptyUsage, type Agent, type AgentFailureKind, type AgentInput, type AgentResult } from "../contract.js";
import { buildTaskPrompt } from "../prompt.js";
import { describeCommand, runShellAgent, stderrForMessage, type AgentOutcome } from "../shell.js";
import { expandArgv, writePromptFile } from "./argv.js";
import { openAttemptLog } from "./attempt-log.js";
import { parserFor, type ParsedRun } from "./parsers/index.js";

/** Time between SIGINT and SIGKILL of the CLI's group when the profile sets no `kill_grace`. */
export const DEFAULT_KILL_GRACE_MS = 5000;
/** A CLI's JSONL event (a final message, a command's whole output) may be long: lines up to this stay whole. */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

export const runCliAgent: Agent = async (input) => {
  const profile = input.profile;
  if (profile.type !== "cli") {
    return { ok: false, kind: "config", reason: `agent profile "${input.profileName}" is of type ${profile.type}, not cli`, usage: emptyUsage() };
  }
  let timeoutMs: number;
  let graceMs: number;
  try {
    timeoutMs = profile.timeout === undefined ? input.timeoutMs : parseDuration(profile.timeout, `agents.${input.profileName}.timeout`);
    graceMs = profile.kill_grace === undefined ? DEFAULT_KILL_GRACE_MS : parseDuration(profile.kill_grace, `agents.${input.profileName}.kill_grace`);
  } catch (error: unknown) {
    return { ok: false, kind: "config", reason: error instanceof Error ? error.message : String(error), usage: emptyUsage() };
  }

  const prompt = buildTaskPrompt(input);
  // The worker's own copy of the prompt when it made one (CODEX_PROMPT_FILE), else one beside the attempt's records.
  const promptFile = input.env["CODEX_PROMPT_FILE"] ?? path.join(input.recordDir, `a${input.token.attempt}.prompt.txt`);
  const expanded = expandArgv(profile.command, {
    prompt,
    promptFile,
    worktree: input.worktree,
    codexDir: path.join(input.root, ".codex"),
  });
  if (expanded.needsPromptFile) {
    try {
      await writePromptFile(promptFile, prompt);
    } catch (error: unknown) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, kind: "spawn", reason: `cannot write the prompt file ${promptFile}: ${why}`, usage: emptyUsage() };
    }
  }

  const label = describeCommand(profile.command);
  const log = await openAttemptLog(input.logFile);
  log.write(`--- ${input.profileName} (cli, output ${profile.output ?? "text"}): ${label}${expanded.promptByFile ? ` (prompt by file ${promptFile})` : ""}\n`);
  const parser = parserFor(profile.output);
  const env = agentEnvironment(input, profile);
  // Secrets of our environment and of the profile's (an API key in `env`) never reach the log or a reason.
  const secretsOf = { ...process.env, ...env };
  const redact = (text: string): string => redactSecrets(text, secretsOf);
  let outcome: AgentOutcome;
  try {
    outcome = await runShellAgent({
      command: expanded.argv,
      label,
      cwd: input.worktree,
      env,
      timeoutMs,
      signal: input.signal,
      killSignal: "SIGINT",
      killGraceMs: graceMs,
      maxLineChars: MAX_EVENT_CHARS,
      onOutput: (line, stream) => {
        log.write(stream === "stdout" ? `${redact(line)}\n` : `! ${redact(line)}\n`);
        if (stream === "stdout") parser.line(line);
      },
      ...(input.onSpawn ? { onSpawn: input.onSpawn } : {}),
    });
  } finally {
    const problem = await log.close();
    if (problem !== undefined) input.log(problem);
  }
  const result = judge(input, profile, outcome, parser.finish(), redact);
  input.log(`${input.profileName}: ${result.ok ? "done" : `${result.kind}: ${result.reason}`}`);
  return result;
};

/** Ours, then the profile's additions; the attempt's own CODEX_* identity is never overridden by a profile. */
function agentEnvironment(input: AgentInput, profile: CliProfile): Record<string, string> {
  const env = { ...input.env, ...profile.env };
  for (const [key, value] of Object.entries(input.env)) if (key.startsWith("CODEX_")) env[key] = value;
  return env;
}

/** Success needs exit 0 and the CLI's own result saying so; a failure carries the CLI's own words first. */
function judge(input: AgentInput, profile: CliProfile, outcome: AgentOutcome, run: ParsedRun, redact: (text: string) => string): AgentResult {
  const parsed = { ...run, finalMessage: redact(run.finalMessage), failure: run.failure === undefined ? undefined : redact(run.failure) };
  const usage = { ...parsed.usage, credits: input.budget.creditsOf(parsed.usage) };
  const extras = { finalMessage: parsed.finalMessage, ...(parsed.result !== undefined ? { result: parsed.result } : {}) };
  const stderr = stderrForMessage(redact(outcome.stderrTail));
  if (!outcome.ok) {
    const kind: AgentFailureKind =
      outcome.reason === "timeout" ? "timeout" : outcome.reason === "cancelled" ? "cancelled" : outcome.reason === "spawn" ? "spawn" : "failed";
    const message = redact(outcome.message);
    const own = kind === "failed" && parsed.failure !== undefined ? `${input.profileName}: ${parsed.failure} (${message})` : message;
    return { ok: false, kind, reason: own, ...extras, usage };
  }
  if (parsed.failure !== undefined) {
    return { ok: false, kind: "failed", reason: `${input.profileName}: ${parsed.failure} (exit code 0${stderr ? ` — stderr: ${stderr}` : ""})`, ...extras, usage };
  }
  if (!parsed.sawResult) {
    const why = `${input.profileName}: exited 0 but printed no ${profile.output} result — check that its command asks for ${profile.output}'s JSON output`;
    return { ok: false, kind: "failed", reason: `${why}${stderr ? ` — stderr: ${stderr}` : ""}`, ...extras, usage };
  }
  return { ok: true, ...extras, usage };
}
