// A job's output: the input columns, then item_id, row, status, attempts, last_error, result_json (and one column
// per property of a flat object schema), formulas escaped; and a lossless <output>.jsonl beside it. Both written
// atomically, at any time: rows not done yet carry their status.
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import writeFileAtomic from "write-file-atomic";
import { CodexError, ExitCode } from "../errors.js";
import type { TaskStatus } from "../schema/common.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";
import type { CodexStore } from "../store/codex-store.js";
import { displayPath } from "../store/paths.js";
import { readCsvFile, type CsvTable } from "./csv-input.js";
import { jobInputPath, type JobFile } from "./job-file.js";
import { flatProperties } from "./output-schema.js";
import { jobRowIds } from "./row-ids.js";

export const FIXED_COLUMNS = ["item_id", "row", "status", "attempts", "last_error", "result_json"] as const;

export interface JobRowState {
  id: string;
  row: number;
  values: string[];
  status: TaskStatus;
  attempts: number;
  lastError: string;
  /** The reported result of a completed row; undefined otherwise. */
  result: unknown;
}

export interface ExportSummary {
  output: string;
  jsonl: string;
  rows: number;
  counts: Record<TaskStatus, number>;
}

/** The job's input as recorded (its copy under .codex/jobs/, checked against the hash) and the row ids. */
export function jobTable(store: CodexStore, job: JobFile): { table: CsvTable; ids: string[] } {
  const copy = jobInputPath(store, job.name);
  const shown = displayPath(store.paths, copy);
  const table = readCsvFile(copy, shown);
  if (table.sha256 !== job.sha256) {
    throw new CodexError("E_JOB_INPUT", `${shown} is not the input job ${job.name} was made from (its sha256 differs)`, {
      hint: `Copy the original input back to ${shown}, or start the job afresh with \`codex-lead jobs run … --name ${job.name} --restart\`.`,
      exitCode: ExitCode.usage,
    });
  }
  return { table, ids: jobRowIds(job, table, shown).ids };
}

function lastError(task: TaskState | undefined): string {
  if (!task || task.status === "completed") return "";
  const last = task.attempts?.[task.attempts.length - 1];
  if (task.status === "in_progress" || task.status === "not_started") return last ? `${last.outcome}: ${last.reason ?? ""}` : "";
  return task.reason ?? (last ? `${last.outcome}: ${last.reason ?? ""}` : "");
}

/** Every row with its state in progress.json; a row with no entry yet is not_started. */
export function jobRowStates(job: JobFile, table: CsvTable, ids: string[], progress: ProgressFile): JobRowState[] {
  return table.rows.map((row, index) => {
    const id = ids[index] ?? "";
    const task = progress.tasks[id];
    const status = task?.status ?? "not_started";
    return {
      id,
      row: row.row,
      values: row.values,
      status,
      attempts: task?.attempt ?? 0,
      lastError: lastError(task),
      result: status === "completed" ? task?.result : undefined,
    };
  });
}

export function countStatuses(rows: readonly { status: TaskStatus }[]): Record<TaskStatus, number> {
  const counts: Record<TaskStatus, number> = { not_started: 0, in_progress: 0, blocked: 0, completed: 0, failed: 0 };
  for (const row of rows) counts[row.status]++;
  return counts;
}

/** A column name not taken yet: ours give way to the input's (`status` -> `job_status`), never the reverse. */
function freeName(name: string, taken: Set<string>, prefix: string): string {
  let candidate = name;
  while (taken.has(candidate)) candidate = `${prefix}${candidate}`;
  taken.add(candidate);
  return candidate;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** The output CSV's text: header, then one line per row. */
export function outputCsv(job: JobFile, rows: readonly JobRowState[]): string {
  const taken = new Set(job.columns);
  const fixed = FIXED_COLUMNS.map((name) => freeName(name, taken, "job_"));
  const properties = flatProperties(job.output_schema ?? undefined) ?? [];
  const propertyColumns = properties.map((name) => freeName(name, taken, "result_"));
  const records = rows.map((row) => {
    const result = row.result;
    const object = result !== null && typeof result === "object" && !Array.isArray(result) ? (result as Record<string, unknown>) : {};
    return [
      ...row.values,
      row.id,
      String(row.row),
      row.status,
      String(row.attempts),
      row.lastError,
      result === undefined ? "" : JSON.stringify(result),
      ...properties.map((name) => (Object.hasOwn(object, name) ? cell(object[name]) : "")),
    ];
  });
  // escape_formulas: a cell starting with = + - @ tab or CR gets a leading ' so a spreadsheet shows it rather than
  // running it; the JSONL keeps the exact values.
  return stringify([[...job.columns, ...fixed, ...propertyColumns], ...records], { escape_formulas: true });
}

/** The JSONL's text: one object per row with the exact input values and result. */
export function outputJsonl(job: JobFile, rows: readonly JobRowState[]): string {
  return rows
    .map((row) => {
      const input: Record<string, string> = {};
      job.columns.forEach((column, index) => {
        // defineProperty: a column named "__proto__" is an ordinary key here, as it is in the CSV.
        Object.defineProperty(input, column, { value: row.values[index] ?? "", enumerable: true, writable: true, configurable: true });
      });
      const line = { item_id: row.id, row: row.row, status: row.status, attempts: row.attempts, last_error: row.lastError, input, result: row.result ?? null };
      return `${JSON.stringify(line)}\n`;
    })
    .join("");
}

export function jsonlPathOf(output: string): string {
  return `${output}.jsonl`;
}

/** Writes the output CSV and JSONL of the job as it stands now. */
export async function exportJob(store: CodexStore, job: JobFile, output: string = job.output): Promise<ExportSummary> {
  const { table, ids } = jobTable(store, job);
  const progress = await store.progress.read();
  const rows = jobRowStates(job, table, ids, progress);
  const target = path.resolve(output);
  const jsonl = jsonlPathOf(target);
  const fsync = (await store.resolvedConfig()).fsync;
  await writeFileAtomic(target, outputCsv(job, rows), { fsync });
  await writeFileAtomic(jsonl, outputJsonl(job, rows), { fsync });
  return { output: target, jsonl, rows: rows.length, counts: countStatuses(rows) };
}
