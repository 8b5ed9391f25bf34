// The planned features and subtasks as text, for `codex-lead plan` (the waves and budgets follow from schedule-view).
import type { Feature } from "../schema/features.js";

export function renderFeatures(features: readonly Feature[], added: ReadonlySet<string>): string {
  const lines: string[] = [];
  for (const feature of features) {
    if (!feature.subtasks.some((task) => added.has(task.id))) continue;
    lines.push(`${feature.id}: ${feature.feature}`);
    for (const task of feature.subtasks) {
      const facts = [task.agent && `agent ${task.agent}`, task.effort !== undefined && `effort ${task.effort}`, task.budget !== undefined && `budget ${task.budget}`].filter(Boolean);
      lines.push(`  ${task.id}: ${task.name}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}`);
      if (task.deps && task.deps.length > 0) lines.push(`    after: ${task.deps.join(", ")}`);
      if (task.description) lines.push(`    ${task.description}`);
      const acceptance = typeof task.acceptance === "string" ? [task.acceptance] : (task.acceptance ?? []);
      for (const criterion of acceptance) lines.push(`    ✓ ${criterion}`);
      if (task.files && task.files.length > 0) lines.push(`    files: ${task.files.join(", ")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
