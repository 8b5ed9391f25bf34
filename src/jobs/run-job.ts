// `jobs run` as a library call: the job set up (or resumed), the lead run over the plan, the output written —
// also when the run is interrupted or fails, with the rows not done marked so.
import { runLead, type LeadResult } from "../lead/run-lead.js";
import type { RunEvent } from "../lead/run-events.js";
import { CodexStore } from "../store/codex-store.js";
import { setUpJob, type JobRunOptions, type JobSetup } from "./create-job.js";
import { exportJob, type ExportSummary } from "./export-job.js";

export interface RunJobOptions extends JobRunOptions {
  root: string;
  workers?: number | undefined;
  onSetup?: (setup: JobSetup) => void;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
}

export interface RunJobResult {
  setup: JobSetup;
  lead: LeadResult;
  exported: ExportSummary;
}

/**
 * The lead runs the whole plan, not only the job's rows: the rows are subtasks like any other, and a run ends when
 * every subtask is final. The output is written once the run ends, however it ends.
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const store = new CodexStore(options.root);
  const setup = await setUpJob(store, options);
  options.onSetup?.(setup);
  let lead: LeadResult;
  try {
    lead = await runLead({
      root: options.root,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error: unknown) {
    // What was done so far still reaches the output; the run's own error is the one that matters.
    await exportJob(store, setup.job).catch(() => undefined);
    throw error;
  }
  const exported = await exportJob(store, setup.job);
  return { setup, lead, exported };
}
