// Where a job stands: its rows counted by status, and those that failed or are blocked, with the reason.
import type { TaskStatus } from "../schema/common.js";
import type { CodexStore } from "../store/codex-store.js";
import { countStatuses, jobRowStates, jobTable } from "./export-job.js";
import { listJobNames, readJob, type JobFile } from "./job-file.js";

export interface JobStatus {
  name: string;
  feature: string;
  rows: number;
  counts: Record<TaskStatus, number>;
  /** Rows failed or blocked, in row order: id, row number and why. */
  problems: { item_id: string; row: number; status: TaskStatus; reason: string }[];
  input: string;
  output: string;
  created_at: string;
}

export async function jobStatus(store: CodexStore, nameOrJob: string | JobFile): Promise<JobStatus> {
  const job = typeof nameOrJob === "string" ? await readJob(store, nameOrJob) : nameOrJob;
  const { table, ids } = jobTable(store, job);
  const rows = jobRowStates(job, table, ids, await store.progress.read());
  return {
    name: job.name,
    feature: job.feature,
    rows: rows.length,
    counts: countStatuses(rows),
    problems: rows
      .filter((row) => row.status === "failed" || row.status === "blocked")
      .map((row) => ({ item_id: row.id, row: row.row, status: row.status, reason: row.lastError })),
    input: job.input,
    output: job.output,
    created_at: job.created_at,
  };
}

export async function allJobStatuses(store: CodexStore): Promise<JobStatus[]> {
  const statuses: JobStatus[] = [];
  for (const name of listJobNames(store)) statuses.push(await jobStatus(store, name));
  return statuses;
}

/** One line: `name: 48/50 rows completed · 1 failed · 1 running · 0 blocked · 0 not started`. */
export function jobStatusLine(status: JobStatus): string {
  const { counts } = status;
  return `${status.name}: ${counts.completed}/${status.rows} rows completed · ${counts.failed} failed · ${counts.in_progress} running · ${counts.blocked} blocked · ${counts.not_started} not started`;
}

export function renderJobStatus(status: JobStatus, limit = 20): string {
  const lines = [jobStatusLine(status), `  input ${status.input}`, `  output ${status.output} (and .jsonl)`];
  for (const problem of status.problems.slice(0, limit)) lines.push(`  ${problem.status} ${problem.item_id} (row ${problem.row}): ${problem.reason}`);
  if (status.problems.length > limit) lines.push(`  … and ${status.problems.length - limit} more (codex-lead jobs export ${status.name})`);
  return lines.join("\n");
}
