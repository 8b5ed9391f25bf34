// `codex-lead metrics [--json] [--since TIME]`: throughput, attempts, credits, latency, waiting and review figures from events.jsonl.
import type { Command } from "commander";
import { loadMetrics, parseSince } from "../../metrics/load-metrics.js";
import { renderMetrics } from "../../metrics/render-metrics.js";
import type { CliContext } from "../context.js";

export function registerMetrics(program: Command, ctx: CliContext): void {
  program
    .command("metrics")
    .description("throughput, attempts and retries, credits, latency per agent profile and feature, waiting, review pass rate (from events.jsonl)")
    .option("--json", "machine-readable JSON on stdout")
    .option("--since <time>", "only events from this time on: an ISO time, or a duration before now (2h, 30m)")
    .action(async (options: { json?: boolean; since?: string }) => {
      const store = await ctx.store();
      const metrics = await loadMetrics(store, options.since === undefined ? undefined : parseSince(options.since));
      if (options.json) {
        ctx.output.data(`${JSON.stringify(metrics, null, 2)}\n`);
        return;
      }
      ctx.output.data(renderMetrics(metrics) + (metrics.skipped_lines > 0 ? `(${metrics.skipped_lines} unreadable lines of events.jsonl skipped)\n` : ""));
    });
}
