// What a plan would run, in which order, with which agent and budget: the view `run --dry-run` and
// `plan --dry-run` print, and the budget gate (`--max-credits`) judges. Pure: nothing is started or written.
import { CodexError, ExitCode } from "../errors.js";
import type { Config } from "../schema/config.js";
import type { ProgressFile } from "../schema/progress.js";
import { topoOrder } from "./graph.js";
import type { Plan, PlanTask } from "./plan.js";

export interface ScheduledTask {
  id: string;
  name: string;
  feature: string;
  agent: string;
  effort: number | undefined;
  /** Credits it may spend: its `budget`, else config `task_budget`, less what it spent already; null: no limit. */
  budget: number | null;
  /** Its agent spends no credits (a shell command): it counts 0 whatever its budget. */
  free: boolean;
  /** Its deps that are not completed yet. */
  after: string[];
}

export interface ScheduleView {
  /** Tasks that can run side by side, wave after wave; completed tasks are left out. */
  waves: ScheduledTask[][];
  /** The chain of remaining tasks with the most effort (a task without `effort` counts 1), first to last. */
  criticalPath: string[];
  /** Sum of the budgets of the remaining tasks that have one. */
  plannedCredits: number;
  /** Remaining tasks with no budget at all (so the planned credits have no upper bound). */
  unbounded: string[];
  completed: number;
}

const EFFORT_IF_UNKNOWN = 1;

/** `free`: whether an agent profile spends no credits (shell); such subtasks count 0 and need no budget. */
export function scheduleView(plan: Plan, config: Pick<Config, "agent" | "taskBudget">, progress?: ProgressFile, free: (agent: string) => boolean = () => false): ScheduleView {
  const done = (id: string): boolean => progress?.tasks[id]?.status === "completed";
  const remaining = plan.tasks.filter((task) => !done(task.id));
  const waveOf = new Map<string, number>();
  const chain = new Map<string, { effort: number; via: string | undefined }>();
  // In topological order each task's deps are placed before it; completed ones are left out.
  for (const id of topoOrder(plan)) {
    const task = plan.byId.get(id);
    if (!task || done(id)) continue;
    const open = task.deps.filter((dep) => waveOf.has(dep));
    waveOf.set(id, open.reduce((wave, dep) => Math.max(wave, (waveOf.get(dep) ?? 0) + 1), 0));
    let best: { effort: number; via: string | undefined } = { effort: 0, via: undefined };
    for (const dep of open) {
      const effort = chain.get(dep)?.effort ?? 0;
      if (effort > best.effort) best = { effort, via: dep };
    }
    chain.set(id, { effort: best.effort + (task.effort ?? EFFORT_IF_UNKNOWN), via: best.via });
  }
  const waves: ScheduledTask[][] = [];
  let plannedCredits = 0;
  const unbounded: string[] = [];
  for (const task of remaining) {
    const wave = waveOf.get(task.id);
    if (wave === undefined) continue;
    const scheduled = scheduled_(task, config, progress, done, free);
    if (!scheduled.free && scheduled.budget === null) unbounded.push(task.id);
    else if (!scheduled.free) plannedCredits += scheduled.budget ?? 0;
    (waves[wave] ??= []).push(scheduled);
  }
  let last: string | undefined;
  for (const [id, { effort }] of chain) if (last === undefined || effort > (chain.get(last)?.effort ?? 0)) last = id;
  const criticalPath: string[] = [];
  for (let at = last; at !== undefined; at = chain.get(at)?.via) criticalPath.unshift(at);
  return { waves, criticalPath, plannedCredits, unbounded, completed: plan.tasks.length - remaining.length };
}

function scheduled_(task: PlanTask, config: Pick<Config, "agent" | "taskBudget">, progress: ProgressFile | undefined, done: (id: string) => boolean, free: (agent: string) => boolean): ScheduledTask {
  const limit = task.budget ?? config.taskBudget;
  const spent = progress?.tasks[task.id]?.usage?.credits ?? 0;
  const agent = task.agent ?? config.agent;
  return {
    id: task.id,
    name: task.name,
    feature: task.featureId,
    agent,
    free: free(agent),
    effort: task.effort,
    budget: limit === undefined ? null : Math.max(0, limit - spent),
    after: task.deps.filter((dep) => !done(dep)),
  };
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd());
}

/** The waves, critical path and credits as text. */
export function renderSchedule(view: ScheduleView): string {
  const lines: string[] = [];
  if (view.completed > 0) lines.push(`${view.completed} subtask${view.completed === 1 ? "" : "s"} already completed (left out).`);
  view.waves.forEach((wave, index) => {
    lines.push(`Wave ${index + 1}${wave.length > 1 ? " (side by side)" : ""}:`);
    lines.push(
      ...table(
        wave.map((task) => [
          task.id,
          `agent ${task.agent}`,
          `effort ${task.effort ?? "-"}`,
          task.free ? "spends no credits" : `budget ${task.budget ?? "no limit"}`,
          task.after.length > 0 ? `after ${task.after.join(", ")}` : "",
        ]),
      ),
    );
  });
  if (view.waves.length === 0) lines.push("Nothing to run: every subtask is completed.");
  if (view.criticalPath.length > 0) lines.push(`Critical path (by effort): ${view.criticalPath.join(" → ")}`);
  const unbounded = view.unbounded.length > 0 ? `; ${view.unbounded.length} subtask${view.unbounded.length === 1 ? " has" : "s have"} no budget (no limit): ${view.unbounded.join(", ")}` : "";
  lines.push(`Planned credits: ${view.plannedCredits}${unbounded}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The budget gate: an error (exit code 6, ExitCode.budget) when the planned credits exceed `maxCredits`, or
 * cannot be bounded because some subtask has no budget; undefined when the plan fits.
 */
export function budgetGate(view: ScheduleView, maxCredits: number): CodexError | undefined {
  if (view.unbounded.length > 0) {
    return new CodexError("E_BUDGET", `the planned credits have no upper bound: ${view.unbounded.length} subtask${view.unbounded.length === 1 ? " has" : "s have"} no budget, over --max-credits ${maxCredits}`, {
      exitCode: ExitCode.budget,
      details: view.unbounded.map((id) => `${id}: no budget`),
      hint: "Give each subtask a budget (its `budget`, or `task_budget` in config), or plan with --budget.",
    });
  }
  if (view.plannedCredits <= maxCredits) return undefined;
  const biggest = view.waves.flat().filter((task) => !task.free && task.budget !== null).sort((a, b) => (b.budget ?? 0) - (a.budget ?? 0)).slice(0, 5);
  return new CodexError("E_BUDGET", `planned credits ${view.plannedCredits} exceed --max-credits ${maxCredits}`, {
    exitCode: ExitCode.budget,
    details: biggest.map((task) => `${task.id}: budget ${task.budget}`),
    hint: "Lower the subtasks' budgets (codex-lead edit features) or raise --max-credits.",
  });
}
