// `codex-lead jobs run|status|export|list`: CSV jobs, one subtask per row. The engine is loaded only when a job runs.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { positiveInt } from "./run.js";

interface JobsRunOptions {
  csv: string;
  instruction: string;
  output: string;
  name?: string;
  idColumn?: string;
  dedupe?: boolean;
  outputSchema?: string;
  agent?: string;
  workers?: number;
  maxRuntime?: string;
  restart?: boolean;
  json?: boolean;
}

function registerJobsRun(jobs: Command, ctx: CliContext): void {
  jobs
    .command("run")
    .description("one subtask per CSV row, run until every row is final; writes the output CSV and <output>.jsonl")
    .requiredOption("--csv <file>", "the input CSV (header row, then one row per item)")
    .requiredOption("--instruction <template>", "what to do with one row; {column} is replaced by the row's value, {{ and }} write braces")
    .requiredOption("--output <file>", "the output CSV (its lossless twin: <file>.jsonl)")
    .option("--name <name>", "the job's name (default: from the CSV's file name); running the same name again resumes it")
    .option("--id-column <column>", "take row ids from this column (default: the row number)")
    .option("--dedupe", "make empty, unsafe or repeated --id-column values unique instead of refusing them")
    .option("--output-schema <file>", "JSON Schema (draft 2020-12) each row's result must match")
    .option("--agent <profile>", "agent profile for the rows (default: config.agent)")
    .option("--workers <n>", "workers at once (default: config.workers)", positiveInt)
    .option("--max-runtime <duration>", "wall-clock limit of one row's attempt", "30m")
    .option("--restart", "start the job afresh when its input or instruction changed (old rows keep their work and ids)")
    .option("--json", "NDJSON on stdout instead of the progress line")
    .action(async (options: JobsRunOptions) => {
      const root = await ctx.root();
      const [{ runJob }, { createRunDisplay }] = await Promise.all([import("../../jobs/run-job.js"), import("../run-display.js")]);
      const json = options.json === true;
      const display = createRunDisplay(ctx.output, json ? "json" : ctx.output.stderr.isTTY === true ? "tty" : "plain", { noun: "rows" });
      const controller = new AbortController();
      const onSignal = (): void => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        if (!json) ctx.output.say("\nstopping: the rows done so far are kept and written to the output; run the same command again to go on");
        controller.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const result = await runJob({
          ...options,
          root,
          onSetup: (setup) => {
            if (json) {
              ctx.output.data(JSON.stringify({ ts: new Date().toISOString(), type: "job.setup", name: setup.job.name, state: setup.state, rows: setup.job.rows, added: setup.added, feature: setup.job.feature, dedupe_changes: setup.changes }));
              return;
            }
            const { job } = setup;
            const how = setup.state === "resumed" ? "resuming" : setup.state === "restarted" ? "restarted" : "created";
            ctx.output.say(`job ${job.name}: ${how}, ${job.rows} rows as subtasks of ${job.feature} in .codex/features.json`);
            for (const change of setup.changes) ctx.output.say(`  --dedupe: line ${change.line} (row ${change.row}): ${JSON.stringify(change.value)} -> ${change.id} (${change.why})`);
          },
          onEvent: (event) => display.onEvent(event),
          signal: controller.signal,
        });
        display.close();
        const { counts, output, jsonl } = result.exported;
        if (json) ctx.output.data(JSON.stringify({ ts: new Date().toISOString(), type: "job.exported", name: result.setup.job.name, counts, output, jsonl }));
        else ctx.output.say(`job ${result.setup.job.name}: ${counts.completed}/${result.exported.rows} rows completed, ${counts.failed} failed, ${counts.blocked} blocked; wrote ${output} and ${jsonl}`);
        ctx.exitCode = result.lead.exitCode;
      } finally {
        display.close();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

export function registerJobs(program: Command, ctx: CliContext): void {
  const jobs = program.command("jobs").description("CSV jobs: one subtask per row, results checked against a schema, an output CSV");
  registerJobsRun(jobs, ctx);

  jobs
    .command("status")
    .description("rows by status, and the failed or blocked ones with the reason")
    .argument("[name]", "one job (default: all)")
    .option("--json", "JSON on stdout")
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const store = await ctx.store();
      const { jobStatus, allJobStatuses, renderJobStatus } = await import("../../jobs/job-status.js");
      const statuses = name === undefined ? await allJobStatuses(store) : [await jobStatus(store, name)];
      if (options.json) ctx.output.data(JSON.stringify(name === undefined ? statuses : statuses[0], null, 2));
      else ctx.output.data(statuses.length === 0 ? "no jobs yet" : statuses.map((status) => renderJobStatus(status)).join("\n"));
    });

  jobs
    .command("export")
    .description("write the output CSV and JSONL now (rows not done yet carry their status); works while the job runs")
    .argument("<name>", "the job")
    .option("--output <file>", "where to write (default: the job's --output)")
    .action(async (name: string, options: { output?: string }) => {
      const store = await ctx.store();
      const [{ readJob }, { exportJob }] = await Promise.all([import("../../jobs/job-file.js"), import("../../jobs/export-job.js")]);
      const job = await readJob(store, name);
      const summary = await exportJob(store, job, options.output);
      ctx.output.say(`job ${name}: ${summary.counts.completed}/${summary.rows} rows completed; wrote ${summary.output} and ${summary.jsonl}`);
    });

  jobs
    .command("list")
    .description("the jobs in this repository, one line each")
    .option("--json", "JSON on stdout")
    .action(async (options: { json?: boolean }) => {
      const store = await ctx.store();
      const { allJobStatuses, jobStatusLine } = await import("../../jobs/job-status.js");
      const statuses = await allJobStatuses(store);
      if (options.json) ctx.output.data(JSON.stringify(statuses.map(({ problems: _problems, ...rest }) => rest), null, 2));
      else ctx.output.data(statuses.length === 0 ? "no jobs yet" : statuses.map(jobStatusLine).join("\n"));
    });
}
