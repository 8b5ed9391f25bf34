// `codex-lead status [--json] [--watch [D]]`: counts, running, blocked and failed with reasons, workers, kept work.
import { InvalidArgumentError, type Command } from "commander";
import { CodexError, ExitCode } from "../../errors.js";
import { pipelineSummary } from "../../ops/summary.js";
import { loadPlanIfPresent } from "../../plan/load-plan.js";
import { classifyWorkBranches, listWorkBranches, renderKeptWork } from "../../report/kept-work.js";
import { renderStatus } from "../../report/status-text.js";
import { tryParseDuration } from "../../util/duration.js";
import type { CliContext } from "../context.js";

async function snapshot(ctx: CliContext, json: boolean, compact: boolean): Promise<string> {
  const store = await ctx.store();
  // git lists the work branches while the files are read and summarised. Outside a git repository
  // (or before any run) there are none to name.
  const branches = listWorkBranches(await ctx.root()).catch(() => "");
  const plan = await loadPlanIfPresent(store);
  const progress = await store.progress.read();
  const summary = pipelineSummary(plan, progress, new Date(), { workers: (await store.resolvedConfig()).workers });
  const kept = classifyWorkBranches(await branches, progress);
  if (json) {
    // The summary is plain JSON data already: no need to print and re-parse it (milliseconds on 10,000 tasks).
    const data = { ...summary, kept_work: kept };
    return compact ? JSON.stringify(data) : `${JSON.stringify(data, null, 2)}\n`;
  }
  return renderStatus(summary, { color: ctx.output.dataColor }) + renderKeptWork(kept);
}

function interval(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined || ms < 100) throw new InvalidArgumentError("expected a duration of at least 100ms, such as 2s.");
  return ms;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("where things stand: counts by status, what runs, what is blocked or failed and why, workers")
    .option("--json", "machine-readable JSON on stdout (with --watch: one JSON object per line)")
    .option("--watch [interval]", "show it again every interval (default 2s) until Ctrl-C", interval)
    .action(async (options: { json?: boolean; watch?: number | true }) => {
      const json = options.json === true;
      if (options.watch === undefined) {
        ctx.output.data(await snapshot(ctx, json, false));
        return;
      }
      const everyMs = options.watch === true ? 2000 : options.watch;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const clear = ctx.output.stdout.isTTY === true && !json;
      try {
        while (!stop.signal.aborted) {
          let text: string;
          try {
            text = await snapshot(ctx, json, true);
          } catch (error: unknown) {
            // A person may be fixing a file right now: say so and keep watching.
            if (!(error instanceof CodexError)) throw error;
            text = json ? JSON.stringify({ error: error.message, details: error.details }) : `${error.message}\n${error.details.map((d) => `  ${d}\n`).join("")}${error.hint ? `hint: ${error.hint}\n` : ""}`;
          }
          // The screen is cleared by us, directly: data() lets no escape sequence through.
          if (clear) ctx.output.stdout.write("\x1b[2J\x1b[H");
          ctx.output.data(clear || json ? text : `${text}\n--- ${new Date().toISOString()}\n`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, everyMs);
            stop.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            }, { once: true });
          });
        }
        ctx.exitCode = ExitCode.interrupted;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
