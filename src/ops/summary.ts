// Where things stand, computed from the plan and progress.json: a pure function, so status views are tested with an injected clock.
import { estimateEta, madeReady, type Eta } from "../metrics/eta.js";
import { topoOrder } from "../plan/graph.js";
import type { Plan } from "../plan/plan.js";
import type { TaskStatus, Usage } from "../schema/common.js";
import { TASK_STATUSES } from "../schema/statuses.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";

export interface RunningTask {
  id: string;
  name: string | null;
  assignee: string | null;
  attempt: number | null;
  startedAt: string | null;
  /** Milliseconds since started_at; null when the start is unknown. */
  elapsedMs: number | null;
  /** The last report or heartbeat of the task (its updated_at). */
  lastActivity: string | null;
  lastActivityAgoMs: number | null;
  percent: number | null;
  detail: string | null;
}

export interface StuckTask {
  id: string;
  name: string | null;
  /** For blocked tasks the reason; for failed ones the error (or the reason when there is no error). */
  reason: string | null;
  attempts: number;
}

export interface WaitingTask {
  id: string;
  name: string | null;
  /** The blocked or failed tasks it waits on, directly or through other deps, in plan order. */
  waitsOn: string[];
  /** When it waits for its `not_before` (a retry's backoff, or a person's) instead: that time, and how far off. */
  until?: string;
  inMs?: number;
}

export interface WorkerSummary {
  id: string;
  status: string;
  task: string | null;
  attempt: number | null;
  pid: number;
  host: string;
  updatedAt: string;
  /** Age of the worker's last update: a big value means a silent worker. */
  ageMs: number | null;
}

export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  credits: number;
}

export interface PipelineSummary {
  now: string;
  counts: Record<TaskStatus, number>;
  total: number;
  /** Completed share of all tasks, rounded down, so 100 means everything really is completed. */
  percentCompleted: number;
  running: RunningTask[];
  blocked: StuckTask[];
  failed: StuckTask[];
  waiting: WaitingTask[];
  workers: WorkerSummary[];
  usage: UsageTotals;
  /** What each subtask that spent anything spent over all its attempts (progress.json usage), in plan order. */
  taskUsage: { id: string; usage: Usage }[];
  /** Sum of the subtasks' credit budgets; null when no subtask has one. */
  budget: number | null;
  /** The latest updated_at/completed_at of any task or worker. */
  lastUpdated: string | null;
  /** Task ids in progress.json that the plan no longer has; not counted. */
  unplanned: string[];
  /** An estimate from measured durations per agent profile and the remaining critical path; null before any completion. */
  eta: Eta | null;
  /** not_started subtasks whose deps are all completed, each with the dep whose completion made it ready. */
  madeReady: { id: string; after: string }[];
  /** Credits the planner spent on the plan (from its events); 0 when the plan was written by hand. */
  plannerCredits: number;
}

function msSince(timestamp: string | null | undefined, now: Date): number | null {
  if (!timestamp) return null;
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? null : Math.max(0, now.getTime() - at);
}

/**
 * The latest of the timestamps offered, compared as instants (offsets and fractional digits vary, so
 * not as text). Each timestamp is parsed once, and the running latest is kept parsed, rather than
 * parsing both sides of every comparison. The first timestamp offered is kept until a later one
 * comes; one that does not parse is never later (and, kept first, is never replaced).
 */
class Latest {
  text: string | null = null;
  private ms = Number.NaN;

  offer(timestamp: string | null | undefined): void {
    if (!timestamp || timestamp === this.text) return;
    if (this.text === null) {
      this.text = timestamp;
      this.ms = Date.parse(timestamp);
      return;
    }
    const ms = Date.parse(timestamp);
    if (ms > this.ms) {
      this.text = timestamp;
      this.ms = ms;
    }
  }
}

/**
 * The tasks counted are the plan's (when there is a plan) or else every task in progress.json.
 * Lists keep plan order; tasks known only to progress.json follow, sorted by id.
 */
export function pipelineSummary(plan: Plan | null, progress: ProgressFile, now: Date = new Date(), options: { workers?: number } = {}): PipelineSummary {
  const ids = plan ? plan.tasks.map((task) => task.id) : Object.keys(progress.tasks).sort();
  const nameOf = (id: string): string | null => plan?.byId.get(id)?.name ?? null;
  const stateOf = (id: string): TaskState => progress.tasks[id] ?? { status: "not_started" };
  const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<TaskStatus, number>;
  const running: RunningTask[] = [];
  const blocked: StuckTask[] = [];
  const failed: StuckTask[] = [];
  for (const id of ids) {
    const state = stateOf(id);
    counts[state.status]++;
    if (state.status === "in_progress") running.push(runningTask(id, nameOf(id), state, now));
    const attempts = state.attempts?.length ?? 0;
    if (state.status === "blocked") blocked.push({ id, name: nameOf(id), reason: state.reason ?? null, attempts });
    if (state.status === "failed") failed.push({ id, name: nameOf(id), reason: state.error ?? state.reason ?? null, attempts });
  }
  const taskUsage = ids.flatMap((id) => {
    const usage = progress.tasks[id]?.usage;
    return usage ? [{ id, usage }] : [];
  });
  const lastUpdated = new Latest();
  const usage: UsageTotals = { input_tokens: 0, output_tokens: 0, credits: 0 };
  for (const state of Object.values(progress.tasks)) {
    lastUpdated.offer(state.updated_at);
    lastUpdated.offer(state.completed_at);
    usage.input_tokens += state.usage?.input_tokens ?? 0;
    usage.output_tokens += state.usage?.output_tokens ?? 0;
    usage.credits += state.usage?.credits ?? 0;
  }
  const workers = Object.entries(progress.workers ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, worker]): WorkerSummary => {
      lastUpdated.offer(worker.updated_at);
      return {
        id,
        status: worker.status,
        task: worker.task ?? null,
        attempt: worker.attempt ?? null,
        pid: worker.pid,
        host: worker.host,
        updatedAt: worker.updated_at,
        ageMs: msSince(worker.updated_at, now),
      };
    });
  const total = ids.length;
  return {
    now: now.toISOString(),
    counts,
    total,
    percentCompleted: total === 0 ? 0 : Math.floor((counts.completed / total) * 100),
    running,
    blocked,
    failed,
    waiting: plan ? [...waitingTasks(plan, stateOf), ...waitingForTime(plan, stateOf, now)] : [],
    workers,
    usage,
    taskUsage,
    budget: plan ? budgetOf(plan) : null,
    lastUpdated: lastUpdated.text,
    // Without a plan every task of progress.json is counted; with one, plan.byId already is the set of planned ids.
    unplanned: plan ? Object.keys(progress.tasks).filter((id) => !plan.byId.has(id)).sort() : [],
    // The ETA spreads the work over the live workers, else (no run going) over as many as a run would start.
    eta: plan ? estimateEta(plan, progress, Math.max(1, workers.filter((w) => w.status !== "exited").length || (options.workers ?? 1)), now.getTime()) : null,
    madeReady: plan ? madeReady(plan, progress) : [],
    plannerCredits: progress.planner?.usage.credits ?? 0,
  };
}

/** Sum of the subtasks' budgets in plan order (so the float sum is always the same); null when none has one. */
function budgetOf(plan: Plan): number | null {
  let sum: number | null = null;
  for (const task of plan.tasks) if (task.budget !== undefined) sum = (sum ?? 0) + task.budget;
  return sum;
}

function runningTask(id: string, name: string | null, state: TaskState, now: Date): RunningTask {
  return {
    id,
    name,
    assignee: state.assignee ?? null,
    attempt: state.attempt ?? null,
    startedAt: state.started_at ?? null,
    elapsedMs: msSince(state.started_at, now),
    lastActivity: state.updated_at ?? null,
    lastActivityAgoMs: msSince(state.updated_at, now),
    percent: state.percent ?? null,
    detail: state.detail ?? null,
  };
}

/** not_started tasks whose deps are done but whose `not_before` is still ahead: they wait for that time. */
function waitingForTime(plan: Plan, stateOf: (id: string) => TaskState, now: Date): WaitingTask[] {
  const waiting: WaitingTask[] = [];
  for (const task of plan.tasks) {
    const state = stateOf(task.id);
    const at = state.not_before ? Date.parse(state.not_before) : Number.NaN;
    if (state.status !== "not_started" || !(at > now.getTime())) continue;
    if (!task.deps.every((dep) => stateOf(dep).status === "completed")) continue;
    waiting.push({ id: task.id, name: task.name, waitsOn: [], until: state.not_before ?? "", inMs: at - now.getTime() });
  }
  return waiting;
}

/** not_started tasks that cannot start because a dep, direct or further down, is blocked or failed. */
function waitingTasks(plan: Plan, stateOf: (id: string) => TaskState): WaitingTask[] {
  const rootsOf = new Map<string, ReadonlySet<string>>();
  // In topological order every dep is resolved before its dependents: no recursion, so no stack limit on long chains.
  for (const id of topoOrder(plan)) {
    const roots = stuckRoots(plan.byId.get(id)?.deps ?? [], stateOf, rootsOf);
    if (roots) rootsOf.set(id, roots);
  }
  const order = (id: string): number => plan.byId.get(id)?.order ?? 0;
  const waiting: WaitingTask[] = [];
  for (const task of plan.tasks) {
    const roots = rootsOf.get(task.id);
    if (stateOf(task.id).status !== "not_started" || !roots) continue;
    waiting.push({ id: task.id, name: task.name, waitsOn: [...roots].sort((a, b) => order(a) - order(b)) });
  }
  return waiting;
}

/**
 * The blocked or failed tasks that `deps` wait on: a stuck dep itself, or what an unfinished dep waits on.
 * Undefined when there are none: most tasks wait on nothing, and a Set each was a large part of the time
 * on 10,000 tasks. A task waiting through its one dep shares that dep's set (sets are never changed
 * once made), so a long chain behind one failure does not copy it down the chain.
 */
function stuckRoots(deps: string[], stateOf: (id: string) => TaskState, rootsOf: Map<string, ReadonlySet<string>>): ReadonlySet<string> | undefined {
  let roots: Set<string> | undefined;
  for (const dep of deps) {
    const status = stateOf(dep).status;
    if (status === "blocked" || status === "failed") (roots ??= new Set()).add(dep);
    else if (status !== "completed") {
      const through = rootsOf.get(dep);
      if (through && deps.length === 1) return through;
      for (const root of through ?? []) (roots ??= new Set()).add(root);
    }
  }
  return roots;
}
