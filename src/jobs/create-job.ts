// Turns a CSV into a job: every input checked first (CSV, template, ids, schema, profile), then the input copy and
// .codex/jobs/<name>.json written, then the rows appended to features.json as the feature `job-<name>` under its
// lock. Running the same job again resumes it; a changed input or instruction is refused unless --restart.
import { copyFileSync, existsSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveProfile } from "../agents/profiles.js";
import { isProcessAlive } from "../agents/shell.js";
import { CodexError, ExitCode, UsageError } from "../errors.js";
import { loadPlanIfPresent } from "../plan/load-plan.js";
import type { Feature } from "../schema/features.js";
import type { CodexStore } from "../store/codex-store.js";
import { displayPath } from "../store/paths.js";
import { tryParseDuration } from "../util/duration.js";
import { canonicalJson } from "../util/json-text.js";
import { readCsvFile, type CsvTable } from "./csv-input.js";
import { JOB_NAME, jobFeatureId, jobInputPath, jobsDir, openJobFile, type JobFile } from "./job-file.js";
import { loadOutputSchema } from "./output-schema.js";
import { jobRowIds, type RowIdChange } from "./row-ids.js";
import { compileTemplate } from "./template.js";

export interface JobRunOptions {
  csv: string;
  instruction: string;
  output: string;
  name?: string | undefined;
  idColumn?: string | undefined;
  dedupe?: boolean | undefined;
  outputSchema?: string | undefined;
  agent?: string | undefined;
  maxRuntime?: string | undefined;
  restart?: boolean | undefined;
  /** Where relative paths (--csv, --output, --output-schema) start; default process.cwd(). */
  cwd?: string | undefined;
}

export interface JobSetup {
  job: JobFile;
  state: "created" | "resumed" | "restarted";
  /** Rows appended to features.json by this call (0 on a resume). */
  added: number;
  /** Ids --dedupe changed. */
  changes: RowIdChange[];
}

export const DEFAULT_MAX_RUNTIME = "30m";

/** A name from the CSV's file name: `reviews 2024.csv` -> `reviews_2024`. */
export function defaultJobName(csv: string): string {
  const base = path.basename(csv).replace(/\.[^.]*$/, "");
  const name = base.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^[_-]+/, "").slice(0, 64);
  return name || "job";
}

function checkName(name: string): void {
  if (!JOB_NAME.test(name)) {
    throw new UsageError(`--name ${JSON.stringify(name)}: a job name is part of every row id`, 'Use letters, digits, "_" and "-" (up to 64, starting with a letter or digit).');
  }
}

async function checkAgent(store: CodexStore, agent: string | undefined): Promise<void> {
  if (agent === undefined) return;
  const resolved = resolveProfile(agent, await store.resolvedConfig());
  if (!resolved.ok) throw new UsageError(`--agent: ${resolved.reason}`, "Name a profile the rows can run with.");
}

/** A lead on this host that is alive: adding or replacing rows under it would race its scheduling of them. */
async function refuseWhileLeadRuns(store: CodexStore): Promise<void> {
  const run = (await store.progress.read().catch(() => undefined))?.run;
  const pid = run?.lead_pid ?? undefined;
  if (pid && pid !== process.pid && (!run?.host || run.host === os.hostname()) && isProcessAlive(pid)) {
    throw new CodexError("E_LEAD_RUNNING", `a lead is running in this repository (pid ${pid})`, {
      hint: "Wait for it to end or stop it (Ctrl-C), then run the job; `codex-lead jobs status` shows how far jobs are.",
      exitCode: ExitCode.busy,
    });
  }
}

/** What differs between the job as recorded and as asked for now, besides the input's bytes. */
function changedSettings(old: JobFile, next: JobFile): string[] {
  const changed: string[] = [];
  if (old.instruction !== next.instruction) changed.push("--instruction");
  if (old.id_column !== next.id_column) changed.push("--id-column");
  if (old.dedupe !== next.dedupe) changed.push("--dedupe");
  if (canonicalJson(old.output_schema) !== canonicalJson(next.output_schema)) changed.push("--output-schema");
  return changed;
}

export async function setUpJob(store: CodexStore, options: JobRunOptions): Promise<JobSetup> {
  const cwd = options.cwd ?? process.cwd();
  const csvPath = path.resolve(cwd, options.csv);
  const name = options.name ?? defaultJobName(csvPath);
  checkName(name);
  // Everything the person gave is checked before anything is written.
  const table = readCsvFile(csvPath, options.csv);
  if (options.idColumn !== undefined && !table.columns.includes(options.idColumn)) {
    throw new UsageError(`--id-column ${JSON.stringify(options.idColumn)} is not a column of ${options.csv}; its columns are ${table.columns.map((c) => JSON.stringify(c)).join(", ")}`, "Name one of the columns, or leave --id-column out to use row numbers.");
  }
  const template = compileTemplate(options.instruction, table.columns);
  const schemaFile = options.outputSchema === undefined ? null : path.resolve(cwd, options.outputSchema);
  const schema = schemaFile === null ? null : loadOutputSchema(schemaFile, options.outputSchema);
  const maxRuntime = options.maxRuntime ?? DEFAULT_MAX_RUNTIME;
  const runtimeMs = tryParseDuration(maxRuntime);
  if (runtimeMs === undefined || runtimeMs <= 0) throw new UsageError(`--max-runtime ${JSON.stringify(maxRuntime)} is not a duration`, "Give a duration such as 90s, 30m or 2h.");
  await checkAgent(store, options.agent);
  const plan = await loadPlanIfPresent(store);
  if (plan === null) throw new CodexError("E_NO_PLAN", `${store.features.label} does not exist`, { hint: "Run `codex-lead init` first." });
  await refuseWhileLeadRuns(store);

  const jobFile = openJobFile(store, name);
  const existing = await jobFile.read();
  const featureId = jobFeatureId(name);
  const generation = options.restart ? (existing?.generation ?? 0) + 1 : (existing?.generation ?? 1);
  const job: JobFile = {
    name,
    feature: featureId,
    generation,
    // A restart gives the rows new ids: the tags of the old ones stay (their work is kept), and must not count.
    id_prefix: generation === 1 ? `${name}-` : `${name}.${generation}-`,
    input: csvPath,
    sha256: table.sha256,
    columns: table.columns,
    rows: table.rows.length,
    id_column: options.idColumn ?? null,
    dedupe: options.dedupe === true,
    instruction: options.instruction,
    output: path.resolve(cwd, options.output),
    output_schema: schema,
    output_schema_file: schemaFile,
    agent: options.agent ?? null,
    max_runtime: maxRuntime,
    created_at: existing && !options.restart ? existing.created_at : new Date().toISOString(),
  };
  if (existing && !options.restart) {
    const changed = changedSettings(existing, job);
    if (existing.sha256 !== table.sha256) changed.unshift(`the input CSV (sha256 ${existing.sha256.slice(0, 12)}… then, ${table.sha256.slice(0, 12)}… now)`);
    if (changed.length > 0) {
      throw new CodexError("E_JOB_CHANGED", `job ${name} was made from other input: ${changed.join(", ")} changed`, {
        hint: `Run it as it was, add --restart to start it afresh (completed rows are kept under their old ids), or pick another --name.`,
        exitCode: ExitCode.usage,
      });
    }
  }
  const { ids, changes } = jobRowIds(job, table, options.csv);
  const clash = ids.find((id) => {
    const task = plan.byId.get(id);
    return task !== undefined && task.featureId !== featureId;
  });
  if (clash !== undefined) {
    throw new CodexError("E_JOB_ID_CLASH", `row id ${JSON.stringify(clash)} is already a subtask of feature ${JSON.stringify(plan.byId.get(clash)?.featureId)} in ${store.features.label}`, {
      hint: "Pick another --name for the job.",
      exitCode: ExitCode.usage,
    });
  }
  if (!existing && plan.file.features.some((feature) => feature.id === featureId) && !options.restart) {
    throw new CodexError("E_JOB_ID_CLASH", `${store.features.label} already has a feature ${JSON.stringify(featureId)}, but ${displayPath(store.paths, jobFile.file)} is missing`, {
      hint: "Pick another --name, or add --restart to replace that feature with this job.",
      exitCode: ExitCode.usage,
    });
  }

  // The copy and the job file first: a crash before features.json changes leaves a job whose rerun adds the rows.
  store.makeDir(jobsDir(store));
  const copy = jobInputPath(store, name);
  store.assertWritable(copy); // renamed over a link it would only replace it; refused all the same, naming it
  if (!existing || options.restart || !existsSync(copy)) {
    const temp = `${copy}.${process.pid}.tmp`;
    copyFileSync(csvPath, temp);
    renameSync(temp, copy);
  }
  await jobFile.update(() => job);

  let added = 0;
  await store.features.update((features) => {
    added = 0;
    const others = features.features.filter((feature) => feature.id !== featureId);
    const current = features.features.find((feature) => feature.id === featureId);
    if (current && !options.restart) {
      // A resume leaves the rows as they are (a person may have edited them); the run settings may change.
      setRunDefaults(current, job);
      return features;
    }
    added = ids.length;
    const feature: Feature = {
      id: featureId,
      feature: `CSV job ${name}: ${table.rows.length} rows of ${path.basename(csvPath)}`,
      description: `One subtask per row of ${csvPath}; the job's settings are in .codex/jobs/${name}.json (codex-lead jobs status ${name}).`,
      subtasks: table.rows.map((row, index) => ({ id: ids[index] ?? "", name: `row ${row.row}`, description: template.render(row.values) })),
    };
    setRunDefaults(feature, job);
    // Appended after the person's features (a restart puts the new rows where the old ones were not: at the end).
    features.features = [...others, feature];
    return features;
  });
  const state = added === 0 ? "resumed" : options.restart && existing ? "restarted" : "created";
  return { job, state, added, changes };
}

/** Profile, time limit and schema live on the feature, once, rather than in every row. */
function setRunDefaults(feature: Feature, job: JobFile): void {
  if (job.agent !== null) feature.agent = job.agent;
  else delete feature.agent;
  feature.timeout = job.max_runtime;
  // Without --output-schema, the empty schema: any result passes, but a row whose agent reports none fails.
  feature.result_schema = job.output_schema ?? {};
}
