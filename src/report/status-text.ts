// `codex-lead status`: the pipeline summary as text for people, or as JSON for machines.
import type { Eta } from "../metrics/eta.js";
import type { PipelineSummary } from "../ops/summary.js";
import type { TaskStatus, Usage } from "../schema/common.js";
import { formatDuration } from "../util/duration.js";
import { visible } from "../util/terminal-text.js";

export interface RenderOptions {
  /** ANSI colours; the CLI turns them off for NO_COLOR and non-terminals. */
  color: boolean;
}

const ANSI: Record<string, string> = { green: "32", yellow: "33", red: "31", cyan: "36", dim: "2", bold: "1" };

const STATUS_LABEL: Record<TaskStatus, { text: string; color: string }> = {
  completed: { text: "completed", color: "green" },
  in_progress: { text: "in progress", color: "cyan" },
  not_started: { text: "not started", color: "dim" },
  blocked: { text: "blocked", color: "yellow" },
  failed: { text: "failed", color: "red" },
};
const STATUS_ORDER: TaskStatus[] = ["completed", "in_progress", "not_started", "blocked", "failed"];

function ago(ms: number | null): string {
  return ms === null ? "never" : `${formatDuration(ms)} ago`;
}

function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd());
}

export function renderStatus(summary: PipelineSummary, options: RenderOptions): string {
  // Ids, details, reasons and hosts come from files and agents: control characters made visible before any colour.
  const v = (text: string): string => visible(text);
  const paint = (color: string, text: string): string => (options.color ? `\u001b[${ANSI[color] ?? "0"}m${text}\u001b[0m` : text);
  const counts = STATUS_ORDER.map((status) => {
    const { text, color } = STATUS_LABEL[status];
    const count = summary.counts[status];
    return count === 0 ? `0 ${text}` : paint(color, `${count} ${text}`);
  });
  const lines = [`${summary.total} task${summary.total === 1 ? "" : "s"}, ${summary.percentCompleted}% completed: ${counts.join(", ")}`];
  const block = (title: string, rows: string[][]): void => {
    if (rows.length > 0) lines.push("", paint("bold", title), ...columns(rows));
  };
  block(
    "Running",
    summary.running.map((task) => [
      v(task.id),
      `attempt ${task.attempt ?? "?"} on ${v(task.assignee ?? "?")}`,
      task.elapsedMs === null ? "running" : `running ${formatDuration(task.elapsedMs)}`,
      task.percent === null ? "-" : `${task.percent}%`,
      `last activity ${ago(task.lastActivityAgoMs)}`,
      v(task.detail ?? ""),
    ]),
  );
  block("Blocked", summary.blocked.map((task) => [paint("yellow", v(task.id)), v(task.reason ?? "no reason given")]));
  block(
    "Failed",
    summary.failed.map((task) => [
      paint("red", v(task.id)),
      `${v(task.reason ?? "no error recorded")}${task.attempts > 0 ? ` (after ${task.attempts} attempt${task.attempts === 1 ? "" : "s"})` : ""}`,
    ]),
  );
  block("Ready to start", summary.madeReady.map((task) => [v(task.id), `ready since ${v(task.after)} completed`]));
  block("Waiting", summary.waiting.map((task) => [v(task.id), waitsFor(task)]));
  block(
    "Workers",
    summary.workers.map((worker) => [
      v(worker.id),
      v(worker.status),
      v(worker.task ?? "-"),
      `pid ${worker.pid} on ${v(worker.host)}`,
      `last update ${ago(worker.ageMs)}`,
    ]),
  );
  // The biggest spenders first: with many subtasks, the ten that cost most say where the credits went.
  const spenders = [...summary.taskUsage].sort((a, b) => (b.usage.credits ?? 0) - (a.usage.credits ?? 0)).slice(0, 10);
  block(
    "Usage by subtask",
    spenders.map(({ id, usage }) => [v(id), usageText(usage), usage.calls === undefined ? "" : `${usage.calls} call${usage.calls === 1 ? "" : "s"}`]),
  );
  lines.push("", usageLine(summary));
  if (summary.eta) lines.push(etaLine(summary.eta));
  if (summary.unplanned.length > 0) lines.push(`Not in the plan (ignored): ${v(summary.unplanned.join(", "))}`);
  lines.push(`Last updated: ${summary.lastUpdated ?? "never"}`);
  return `${lines.join("\n")}\n`;
}

function waitsFor(task: PipelineSummary["waiting"][number]): string {
  if (task.until !== undefined) return `waits until ${visible(task.until)} (in ${formatDuration(Math.max(0, task.inMs ?? 0))})`;
  return `waits on ${visible(task.waitsOn.join(", "))}`;
}

/** "5 credits, 3300/550 tokens" (and the dollars a CLI reported, when it did). */
export function usageText(usage: Usage): string {
  const cost = usage.cost_usd === undefined ? "" : `, $${usage.cost_usd.toFixed(4)}`;
  return `${usage.credits ?? 0} credits, ${usage.input_tokens ?? 0}/${usage.output_tokens ?? 0} tokens in/out${cost}`;
}

function usageLine(summary: PipelineSummary): string {
  const { input_tokens, output_tokens, credits } = summary.usage;
  const budget = summary.budget === null ? "" : ` of a ${summary.budget}-credit budget`;
  const planner = summary.plannerCredits > 0 ? `; the planner spent ${summary.plannerCredits}` : "";
  return `Usage: ${input_tokens} input tokens, ${output_tokens} output tokens, ${credits} credits${budget}${planner}`;
}

export function etaLine(eta: Eta): string {
  const path = eta.criticalPath.length > 0 ? `; critical path ${visible(eta.criticalPath.join(" → "))}` : "";
  return `ETA: ~${formatDuration(eta.ms)} (an estimate from ${eta.measured} measured subtask${eta.measured === 1 ? "" : "s"}, per agent profile${path})`;
}

/** The summary for `status --json`: one JSON document, pretty-printed, with a trailing newline. */
export function statusJson(summary: PipelineSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}
