// The lead's changes to progress.json when it assigns attempts and when merged attempts complete: pure
// functions on a draft, applied inside a locked update (which may run them again on top of a person's save).
import path from "node:path";
import { unsafeIdReasons } from "../plan/id-rules.js";
import type { Plan } from "../plan/plan.js";
import type { Usage } from "../schema/common.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";
import { workBranch } from "../worker/worktree.js";

export interface Offer {
  id: string;
  workerId: string;
  /** The attempt number the offer was made for: an offer whose task moved on since is skipped. */
  attempt: number;
}

/**
 * Gives each offer's task to its worker when both are still as they were when the offer was made (task
 * not_started at the previous attempt, its deps completed, the worker idle). The entry names the attempt's
 * branch and worktree, which follow from the worker and the attempt. Returns the ids assigned.
 */
export function markAssigned(
  progress: ProgressFile,
  plan: Plan,
  offers: Offer[],
  context: { base: string; worktreesDir: string; now: Date },
): Set<string> {
  const assigned = new Set<string>();
  const now = context.now.toISOString();
  for (const { id, workerId, attempt } of offers) {
    const task = progress.tasks[id] ?? { status: "not_started" };
    const worker = progress.workers?.[workerId];
    const depsDone = (plan.byId.get(id)?.deps ?? []).every((dep) => progress.tasks[dep]?.status === "completed");
    if (task.status !== "not_started" || (task.attempt ?? 0) + 1 !== attempt || !worker || worker.status !== "idle" || worker.task || !depsDone) continue;
    // A key of progress.json is a claim too: one unsafe as a folder name never becomes a worktree path.
    if (unsafeIdReasons(workerId).length > 0) continue;
    const worktree = path.join(context.worktreesDir, workerId);
    progress.tasks[id] = {
      ...task,
      status: "in_progress",
      reason: undefined,
      assignee: workerId,
      attempt,
      started_at: now,
      updated_at: now,
      completed_at: null,
      percent: 0,
      detail: "assigned",
      base: context.base,
      branch: workBranch({ task: id, attempt }),
      worktree,
      handoff: undefined,
      // A result found at the hand-off is then this attempt's own (`codex-worker result`), never an earlier one's.
      result: undefined,
      not_before: null,
    };
    Object.assign(worker, { task: id, attempt, status: "busy", worktree, updated_at: now });
    assigned.add(id);
  }
  return assigned;
}

export interface Completion {
  id: string;
  attempt: number;
  worker: string | undefined;
  commit: string;
  tag: string;
  /** What the attempt spent (its hand-off's usage; the worker already added it to the task's total). */
  usage?: Usage | undefined;
}

export interface CompletionMarks {
  /** Tasks that were not completed before this change (a re-applied change finds some already done). */
  newlyCompleted: Set<string>;
}

/**
 * What a completed task keeps: its commit and tag, result, usage, final message and timestamps, and the attempts
 * that carry information. What only mattered while an attempt ran (its assignee, base, branch, worktree, hand-off,
 * backoff, progress detail, error) goes: every write of progress.json rewrites every entry, so a job of thousands
 * of rows pays for each byte a finished row keeps on every later write. The branch follows from the task and its
 * attempt (codex/work/<task>/a<attempt>); the commit and the tag are in git, where recovery reads them.
 */
export function settleCompleted(task: TaskState, fields: { commit: string; tag: string; completedAt: string; now: string }): void {
  Object.assign(task, {
    status: "completed",
    commit: fields.commit,
    tag: fields.tag,
    percent: 100,
    completed_at: fields.completedAt,
    updated_at: fields.now,
  } satisfies Partial<TaskState>);
  for (const key of ["reason", "error", "assignee", "base", "branch", "worktree", "handoff", "not_before", "detail"] as const) delete task[key];
}

/**
 * Records merged and tagged attempts as completed and frees their workers. The merge and the tag are done
 * whatever happens here: the tag is the truth that recovery reads, so a task missing from progress.json
 * (removed by a person) is simply skipped.
 */
export function markCompleted(progress: ProgressFile, completed: Completion[], now: Date): CompletionMarks {
  const marks: CompletionMarks = { newlyCompleted: new Set() };
  const at = now.toISOString();
  for (const { id, attempt, worker, commit, tag, usage } of completed) {
    const current = progress.tasks[id];
    if (!current) continue;
    if (current.status !== "completed") {
      marks.newlyCompleted.add(id);
      // What the landed attempt spent joins the history of earlier attempts. A first attempt that lands alone records
      // nothing: the task's usage is then that attempt's, and a job of thousands of rows does not keep it twice.
      if (usage && (attempt > 1 || (current.attempts?.length ?? 0) > 0)) current.attempts = [...(current.attempts ?? []), { attempt, worker, outcome: "completed", at, usage }];
    }
    settleCompleted(current, { commit, tag, completedAt: at, now: at });
    const holder = worker ? progress.workers?.[worker] : undefined;
    if (holder && holder.task === id) {
      holder.task = null;
      holder.attempt = null;
      holder.status = "idle";
    }
  }
  return marks;
}
