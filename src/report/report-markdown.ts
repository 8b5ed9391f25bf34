// `codex-lead report`: the human-readable progress report in markdown (the shape of seed 001), grouped by feature.
import { pipelineSummary } from "../ops/summary.js";
import type { Plan, PlanTask } from "../plan/plan.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";
import { visible } from "../util/terminal-text.js";

/** "2026-01-02 10:30 UTC": minutes are enough for people, and UTC avoids guessing the reader's zone. */
export function formatReportTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Lines of one section: each feature that has tasks in it, as a bold title followed by list items. */
function section(title: string, tasks: PlanTask[], line: (task: PlanTask) => string): string[] {
  const out = [`### ${title}`, ""];
  if (tasks.length === 0) return [...out, "None", ""];
  let feature: string | undefined;
  for (const task of tasks) {
    if (task.featureId !== feature) {
      if (feature !== undefined) out.push("");
      feature = task.featureId;
      out.push(`**${task.feature}**`);
    }
    out.push(line(task));
  }
  return [...out, ""];
}

function spentNote(state: TaskState): string {
  return state.usage?.credits ? ` — ${state.usage.credits} credits` : "";
}

function inProgressNote(state: TaskState): string {
  const parts = [state.percent === undefined ? undefined : `${state.percent}%`, state.detail].filter((part) => part !== undefined && part !== "");
  return parts.length === 0 ? "" : ` — ${parts.join(", ")}`;
}

/**
 * Completed (✓), In Progress (→) and Remaining (○; not_started, blocked and failed tasks, the
 * latter two marked) list every task once, in plan order; Blockers gives the reasons (blocked and
 * failed tasks in plan order, then the tasks waiting on them).
 * "Last updated" is the latest change in progress.json, or `now` when nothing happened yet.
 */
export function renderReport(plan: Plan, progress: ProgressFile, now: Date = new Date()): string {
  const summary = pipelineSummary(plan, progress, now);
  const stateOf = (task: PlanTask): TaskState => progress.tasks[task.id] ?? { status: "not_started" };
  const withStatus = (...statuses: string[]): PlanTask[] => plan.tasks.filter((task) => statuses.includes(stateOf(task).status));
  const label = (task: PlanTask): string => `${task.name} (\`${task.id}\`)`;
  const lines = [
    "## Progress Report",
    "",
    `**Overall**: ${summary.counts.completed}/${summary.total} tasks (${summary.percentCompleted}%)`,
    "",
    ...section("Completed", withStatus("completed"), (task) => `- ✓ ${label(task)}${spentNote(stateOf(task))}`),
    ...section("In Progress", withStatus("in_progress"), (task) => `- → ${label(task)}${inProgressNote(stateOf(task))}`),
    ...section("Remaining", withStatus("not_started", "blocked", "failed"), (task) => {
      const status = stateOf(task).status;
      return `- ○ ${label(task)}${status === "not_started" ? "" : ` — ${status}`}`;
    }),
    "### Blockers",
    "",
  ];
  const stuck = [
    ...summary.blocked.map((task) => ({ task, line: `- \`${task.id}\` blocked: ${task.reason ?? "no reason given"}` })),
    ...summary.failed.map((task) => ({ task, line: `- \`${task.id}\` failed: ${task.reason ?? "no error recorded"}` })),
  ].sort((a, b) => (plan.byId.get(a.task.id)?.order ?? 0) - (plan.byId.get(b.task.id)?.order ?? 0));
  const blockers = [
    ...stuck.map((entry) => entry.line),
    ...summary.waiting.map((task) =>
      task.until !== undefined ? `- \`${task.id}\` waits until ${formatReportTime(task.until)}` : `- \`${task.id}\` waits on ${task.waitsOn.map((id) => `\`${id}\``).join(", ")}`,
    ),
  ];
  lines.push(...(blockers.length === 0 ? ["None"] : blockers), "");
  // Only when an agent spent anything: a plan of shell commands has nothing to say here.
  if (summary.taskUsage.length > 0) {
    const { input_tokens, output_tokens, credits } = summary.usage;
    lines.push(`**Usage**: ${credits} credits (${input_tokens} input, ${output_tokens} output tokens) over ${summary.taskUsage.length} subtask${summary.taskUsage.length === 1 ? "" : "s"}`, "");
  }
  lines.push(`**Last updated**: ${formatReportTime(summary.lastUpdated ?? summary.now)}`, "");
  // Names, details and reasons come from files and agents: each line stays one line, with no escape sequence.
  return lines.map((line) => visible(line)).join("\n");
}
