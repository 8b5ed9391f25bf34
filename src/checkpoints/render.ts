// Plain-text views of checkpoints and rollbacks, returned as strings so tests compare them.
import type { CheckpointRow } from "./list.js";
import type { RollbackResult } from "./rollback.js";

function usageText(usage: CheckpointRow["usage"]): string {
  if (!usage) return "-";
  const parts: string[] = [];
  if (usage.input_tokens !== undefined || usage.output_tokens !== undefined) parts.push(`${usage.input_tokens ?? 0}/${usage.output_tokens ?? 0} tok`);
  if (usage.credits !== undefined) parts.push(`${usage.credits} cr`);
  return parts.join(", ") || "-";
}

/** A table: one row per checkpoint, oldest first. */
export function renderCheckpoints(rows: CheckpointRow[]): string {
  if (rows.length === 0) return "no checkpoints yet: a subtask gets one (a tagged commit) when it completes";
  const header = ["TASK", "ATTEMPT", "WORKER", "COMMIT", "WHEN", "FILES", "REVIEW", "USAGE"];
  const table = rows.map((row) => [
    row.task,
    row.attempt === null ? "-" : String(row.attempt),
    row.worker ?? "-",
    row.commit.slice(0, 12),
    row.when || "-",
    String(row.files.length),
    row.review ?? "-",
    usageText(row.usage),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => (cells[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  const credits = rows.reduce((sum, row) => sum + (row.usage?.credits ?? 0), 0);
  const total = rows.some((row) => row.usage) ? [`total: ${credits} credits over ${rows.filter((row) => row.usage).length} checkpoint(s) with usage`] : [];
  return [line(header), ...table.map(line), ...total].join("\n");
}

/** What a rollback did (or, dry, would do). */
export function renderRollback(result: RollbackResult): string {
  const lines: string[] = [];
  const verb = result.dryRun ? "would revert" : "reverted";
  for (const step of result.reverted) {
    const how = step.revert ? ` with ${step.revert.slice(0, 12)}` : result.dryRun ? "" : " (already reverted earlier)";
    const tag = step.tag ? `; tag ${step.tag} -> ${step.rolledBackTag}` : `; tag -> ${step.rolledBackTag}`;
    lines.push(`${verb} ${step.task} (checkpoint ${step.commit.slice(0, 12)})${how}${tag}`);
  }
  for (const stop of result.stopped) {
    lines.push(`${result.dryRun ? "would stop" : "stopped"} ${stop.task} attempt ${stop.attempt}${stop.worker ? ` on ${stop.worker}` : ""} (it started from the reverted work)`);
  }
  lines.push(`${result.dryRun ? "would reset" : "reset"} to not_started: ${result.reset.join(", ")}`);
  return lines.join("\n");
}
