// .codex/jobs/<name>.json: what a CSV job was made from (input, its hash, id column, instruction, schema, output),
// and .codex/jobs/<name>.input.csv, the input as it was, so an export never depends on the original file staying put.
// The rows themselves are subtasks of the feature `job-<name>` in features.json.
import { readdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CodexError, ExitCode } from "../errors.js";
import { Duration, Timestamp } from "../schema/common.js";
import { JsonFile } from "../store/json-file.js";
import type { CodexStore } from "../store/codex-store.js";
import { displayPath } from "../store/paths.js";

export const JobFile = z.strictObject({
  name: z.string().min(1),
  feature: z.string().min(1).describe("the feature in features.json holding the rows"),
  generation: z.number().int().min(1).describe("1, then one more for each --restart (row ids change with it)"),
  id_prefix: z.string().min(1).describe("row ids are <id_prefix><row number or id column value>"),
  input: z.string().describe("the input CSV as given"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe("of the input CSV's bytes; a resume with other bytes is refused"),
  columns: z.array(z.string()),
  rows: z.number().int().nonnegative(),
  id_column: z.string().nullable(),
  dedupe: z.boolean(),
  instruction: z.string(),
  output: z.string().describe("where `jobs run` and `jobs export` write the output CSV (and <output>.jsonl)"),
  output_schema: z.record(z.string(), z.unknown()).nullable(),
  output_schema_file: z.string().nullable(),
  agent: z.string().nullable(),
  max_runtime: Duration,
  created_at: Timestamp,
});
export type JobFile = z.infer<typeof JobFile>;

/** A job name is part of every row id: letters, digits, "_" and "-", starting with a letter or digit. */
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function jobsDir(store: CodexStore): string {
  return path.join(store.paths.dir, "jobs");
}

export function jobFilePath(store: CodexStore, name: string): string {
  return path.join(jobsDir(store), `${name}.json`);
}

export function jobInputPath(store: CodexStore, name: string): string {
  return path.join(jobsDir(store), `${name}.input.csv`);
}

export function jobFeatureId(name: string): string {
  return `job-${name}`;
}

/** The job's file; null when there is no such job (yet). Written under its lock, by an atomic replace. */
export function openJobFile(store: CodexStore, name: string): JsonFile<JobFile | null> {
  const file = jobFilePath(store, name);
  return new JsonFile<JobFile | null>({
    file,
    schema: JobFile.nullable(),
    empty: () => null,
    noSymlinkFrom: store.paths.dir,
    label: displayPath(store.paths, file),
    fixHint: `Fix the file, or start the job afresh with \`codex-lead jobs run … --name ${name} --restart\`.`,
  });
}

/** The job's file; throws E_NO_JOB (exit 2) naming the jobs there are. */
export async function readJob(store: CodexStore, name: string): Promise<JobFile> {
  const job = JOB_NAME.test(name) ? await openJobFile(store, name).read() : null;
  if (!job) {
    const names = listJobNames(store);
    throw new CodexError("E_NO_JOB", `no job named ${JSON.stringify(name)}`, {
      hint: names.length > 0 ? `Jobs here: ${names.join(", ")}.` : "Start one with `codex-lead jobs run --csv <in.csv> --instruction \"…\" --output <out.csv>`.",
      exitCode: ExitCode.usage,
    });
  }
  return job;
}

export function listJobNames(store: CodexStore): string[] {
  try {
    return readdirSync(jobsDir(store))
      .filter((entry) => entry.endsWith(".json"))
      .map((entry) => entry.slice(0, -".json".length))
      .filter((name) => JOB_NAME.test(name))
      .sort();
  } catch {
    return [];
  }
}
