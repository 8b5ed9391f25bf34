// Metrics as text for `codex-lead metrics`, and the short section `codex-lead report` ends with.
import { formatDuration } from "../util/duration.js";
import type { LatencyFigures, Metrics } from "./compute-metrics.js";

const ms = (value: number | null): string => (value === null ? "-" : formatDuration(value));
const num = (value: number | null): string => (value === null ? "-" : String(value));

function latencyRows(title: string, figures: Record<string, LatencyFigures>): string[] {
  const entries = Object.entries(figures);
  if (entries.length === 0) return [];
  const width = Math.max(...entries.map(([name]) => name.length));
  return [title, ...entries.map(([name, f]) => `  ${name.padEnd(width)}  p50 ${ms(f.p50_ms)}  p95 ${ms(f.p95_ms)}  (${f.count} completed)`)];
}

function retriesText(retries: Record<string, number>): string {
  const entries = Object.entries(retries).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? "none" : entries.map(([reason, count]) => `${count} ${reason}`).join(", ");
}

export function renderMetrics(m: Metrics): string {
  const lines = [
    `Window: ${m.window.from ?? "-"} to ${m.window.to ?? "-"} (${m.window.hours} h, ${m.window.events} events)`,
    `Tasks: ${m.tasks.completed} completed, ${m.tasks.failed} failed, ${m.tasks.blocked} blocked (${m.tasks.seen} seen)`,
    `Throughput: ${num(m.throughput_per_hour)} completed per hour`,
    `Attempts per task: mean ${num(m.attempts.mean)}, max ${num(m.attempts.max)} (${m.attempts.total} attempts on ${m.attempts.tasks} tasks)`,
    `Retries by reason: ${retriesText(m.attempts.retries)}`,
    `Credits per task: mean ${num(m.credits.mean)}, max ${num(m.credits.max)}; total ${m.credits.total} (planner ${m.credits.planner})`,
    ...latencyRows("Latency per agent profile (start of the attempt to completed):", m.latency.by_profile),
    ...latencyRows("Latency per feature:", m.latency.by_feature),
    `Waiting for a worker: ${ms(m.waiting.total_ms)} in all, p50 ${ms(m.waiting.p50_ms)}, p95 ${ms(m.waiting.p95_ms)} (${m.waiting.attempts} attempts)`,
    `Review: ${m.review.verdicts === 0 ? "no verdicts" : `${m.review.passed} passed, ${m.review.failed} failed (pass rate ${Math.round((m.review.pass_rate ?? 0) * 100)}%)`}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The few figures the markdown report shows; `codex-lead metrics` has the rest. */
export function renderMetricsSection(m: Metrics): string {
  const rows = [
    `- Throughput: ${num(m.throughput_per_hour)} subtasks per hour`,
    `- Attempts per subtask: mean ${num(m.attempts.mean)}, max ${num(m.attempts.max)}; retries: ${retriesText(m.attempts.retries)}`,
    `- Credits: ${m.credits.total} in all, mean ${num(m.credits.mean)} per subtask`,
    ...Object.entries(m.latency.by_profile).map(([name, f]) => `- Latency of \`${name}\`: p50 ${ms(f.p50_ms)}, p95 ${ms(f.p95_ms)}`),
    `- Review pass rate: ${m.review.pass_rate === null ? "-" : `${Math.round(m.review.pass_rate * 100)}%`}`,
  ];
  return `### Metrics\n\n${rows.join("\n")}\n\nMore: \`codex-lead metrics\`.\n`;
}
