// A JSON answer matching a schema from an agent CLI, for the planner and the reviewer on a `cli` profile: codex
// gets `--output-schema FILE`, claude `--json-schema JSON`. The answer is checked here (codex does not check it),
// and a wrong one is shown to the CLI with the problems for another run.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Usage } from "../../schema/common.js";
import type { CliProfile } from "../../schema/config.js";
import { parseDuration } from "../../util/duration.js";
import { redactSecrets } from "../../util/redact.js";
import { assertNoSymlink, writeNoFollow } from "../../store/safe-path.js";
import { addUsage, emptyUsage } from "../contract.js";
import { ModelCallError } from "../openai/retry.js";
import { schemaProblems } from "../openai/schema-check.js";
import { stripFence, type StructuredCallResult } from "../openai/structured.js";
import { schemaRefusal } from "../profiles.js";
import { describeCommand, runShellAgent } from "../shell.js";
import { expandArgv, writePromptFile } from "./argv.js";
import { parserFor } from "./parsers/index.js";
import { DEFAULT_KILL_GRACE_MS } from "./run-cli-agent.js";

export interface CliStructuredOptions {
  profile: CliProfile;
  profileName: string;
  system: string;
  user: string;
  schema: Record<string, unknown>;
  schemaName: string;
  /** A folder of our own where the CLI runs and its schema and prompt files go (never the user's checkout). */
  scratchDir: string;
  /** The run's .codex folder, for a profile's `{codex_dir}`. */
  codexDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  repairs?: number;
  creditsOf: (usage: Usage) => number;
}

/** The CLIs that can be held to a JSON Schema, and the flags that do it. */
function schemaFlags(output: CliProfile["output"], schema: Record<string, unknown>, schemaFile: string): string[] | undefined {
  if (output === "codex") return ["--output-schema", schemaFile];
  if (output === "claude") return ["--json-schema", JSON.stringify(schema)];
  return undefined;
}

/** The flags go before the `--` that ends the options (or before the prompt), else at the end. */
function withFlags(command: readonly string[], flags: string[]): string[] {
  let at = command.indexOf("--");
  if (at < 0) at = command.findIndex((element) => element === "{prompt}" || element === "{prompt_file}");
  if (at < 0) return [...command, ...flags];
  return [...command.slice(0, at), ...flags, ...command.slice(at)];
}

export async function cliStructuredCall<T = unknown>(options: CliStructuredOptions): Promise<StructuredCallResult<T>> {
  const { profile, profileName } = options;
  const schemaFile = path.join(options.scratchDir, `${options.schemaName}.schema.json`);
  const flags = schemaFlags(profile.output, options.schema, schemaFile);
  if (!flags) {
    throw new ModelCallError("config", schemaRefusal(profileName, profile));
  }
  let timeoutMs = options.timeoutMs;
  let graceMs = DEFAULT_KILL_GRACE_MS;
  try {
    if (profile.timeout !== undefined) timeoutMs = parseDuration(profile.timeout, `agents.${profileName}.timeout`);
    if (profile.kill_grace !== undefined) graceMs = parseDuration(profile.kill_grace, `agents.${profileName}.kill_grace`);
  } catch (error: unknown) {
    throw new ModelCallError("config", error instanceof Error ? error.message : String(error));
  }
  // The scratch folder is under .codex/agents: never reached, nor written, through a link.
  assertNoSymlink(options.codexDir, options.scratchDir, "create");
  await mkdir(options.scratchDir, { recursive: true });
  writeNoFollow(options.codexDir, schemaFile, `${JSON.stringify(options.schema, null, 2)}\n`);
  const secrets = { ...process.env, ...profile.env };
  let usage = emptyUsage();
  let prompt = `${options.system}\n\n${options.user}`;
  let problem = "";
  for (let n = 0; n <= (options.repairs ?? 2); n++) {
    const promptFile = path.join(options.scratchDir, `${options.schemaName}.prompt.txt`);
    const expanded = expandArgv(withFlags(profile.command, flags), { prompt, promptFile, worktree: options.scratchDir, codexDir: options.codexDir });
    if (expanded.needsPromptFile) await writePromptFile(promptFile, prompt);
    const parser = parserFor(profile.output);
    const outcome = await runShellAgent({
      command: expanded.argv,
      label: describeCommand(profile.command),
      cwd: options.scratchDir,
      env: profile.env ?? {},
      timeoutMs,
      killSignal: "SIGINT",
      killGraceMs: graceMs,
      ...(options.signal && { signal: options.signal }),
      onOutput: (line, stream) => {
        if (stream === "stdout") parser.line(line);
      },
    });
    const run = parser.finish();
    usage = addUsage(usage, run.usage);
    const spent = (): Usage => ({ ...usage, credits: options.creditsOf(usage) });
    if (!outcome.ok || run.failure !== undefined) {
      const kind = !outcome.ok && outcome.reason === "cancelled" ? "cancelled" : !outcome.ok && outcome.reason === "timeout" ? "timeout" : "failed";
      const error = new ModelCallError(kind, redactSecrets(`${profileName}: ${run.failure ?? (outcome.ok ? "failed" : outcome.message)}`, secrets));
      error.usage = spent();
      throw error;
    }
    let value: unknown = run.result;
    if (value === undefined) {
      try {
        value = JSON.parse(stripFence(run.finalMessage.trim()));
      } catch {
        problem = `the answer is not JSON: ${redactSecrets(run.finalMessage.slice(0, 200), secrets)}`;
        prompt = `${options.system}\n\n${options.user}\n\nYour previous answer was not valid JSON. Answer with only the JSON value matching the schema ${options.schemaName}.`;
        continue;
      }
    }
    const problems = schemaProblems(options.schema, value);
    if (problems === undefined) return { value: value as T, usage: spent(), text: JSON.stringify(value) };
    problem = `the answer does not match the schema: ${problems}`;
    prompt = `${options.system}\n\n${options.user}\n\nYour previous answer:\n${JSON.stringify(value)}\nIt does not match the schema ${options.schemaName}: ${problems}. Answer again with only the corrected JSON.`;
  }
  const error = new ModelCallError("failed", `no valid structured answer from ${profileName}: ${problem}`);
  error.usage = { ...usage, credits: options.creditsOf(usage) };
  throw error;
}
