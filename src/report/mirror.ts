// The readable mirror of progress inside features.json: each subtask's status, each feature's overall_progress, blockers, last_updated.
import type { Feature, FeaturesFile } from "../schema/features.js";
import type { ProgressFile, TaskState } from "../schema/progress.js";

function percentOf(done: number, total: number): string {
  return `${total === 0 ? 0 : Math.floor((done / total) * 100)}%`;
}

/**
 * One short line per blocked or failed subtask. features.json is the file people commit: it gets the status and
 * how the last attempt ended, never an error text (stderr tails and agent output stay in progress.json).
 */
function blockerLine(id: string, state: TaskState): string | undefined {
  if (state.status !== "blocked" && state.status !== "failed") return undefined;
  const attempts = state.attempts ?? [];
  const last = attempts.at(-1);
  const see = "see `codex-lead status`";
  if (state.status === "failed") {
    const how = last ? `: ${oneWord(last.outcome)}` : "";
    return `${id}: failed after ${attempts.length} attempt${attempts.length === 1 ? "" : "s"}${how} (${see})`;
  }
  // Blocked by a person (their own words), or by the run after attempts (how the last one ended).
  if (last && state.reason?.includes(last.reason ?? "\0")) return `${id}: blocked after ${attempts.length} attempt${attempts.length === 1 ? "" : "s"}: ${oneWord(last.outcome)} (${see})`;
  return `${id}: blocked${state.reason ? ` (${shortReason(state.reason)})` : ""}`;
}

/** An attempt's outcome is one of our words (stalled, exited, conflict, …); anything else is not shown. */
function oneWord(outcome: string): string {
  return /^[a-z][a-z_-]{0,30}$/.test(outcome) ? outcome : "ended";
}

/** A person's reason, on one line and short. */
function shortReason(reason: string): string {
  const flat = reason.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

function later(a: string | undefined, b: string | null | undefined): string | undefined {
  if (!b) return a;
  return a === undefined || Date.parse(b) > Date.parse(a) ? b : a;
}

interface Tally {
  done: number;
  total: number;
  blockers: string[];
  lastUpdated: string | undefined;
}

/**
 * A copy of the plan with the mirror fields filled from progress.json (the owner of the facts).
 * last_updated is the latest update of the tasks it covers, not the time of the refresh, so an
 * unchanged state gives byte-identical output and the lead writes nothing. Call it under the
 * features lock, on the freshly read plan, so a person's concurrent edit of the plan is kept.
 */
export function refreshMirror(features: FeaturesFile, progress: ProgressFile): FeaturesFile {
  const all: Tally = { done: 0, total: 0, blockers: [], lastUpdated: undefined };
  const copy = structuredClone(features);
  copy.features = copy.features.map((feature): Feature => {
    const tally: Tally = { done: 0, total: 0, blockers: [], lastUpdated: undefined };
    for (const subtask of feature.subtasks) {
      const state: TaskState = progress.tasks[subtask.id] ?? { status: "not_started" };
      subtask.status = state.status;
      tally.total++;
      if (state.status === "completed") tally.done++;
      const blocker = blockerLine(subtask.id, state);
      if (blocker !== undefined) tally.blockers.push(blocker);
      tally.lastUpdated = later(later(tally.lastUpdated, state.updated_at), state.completed_at);
    }
    all.done += tally.done;
    all.total += tally.total;
    all.blockers.push(...tally.blockers);
    all.lastUpdated = later(all.lastUpdated, tally.lastUpdated);
    return withMirror(feature, tally);
  });
  return withMirror(copy, all);
}

function withMirror<T extends { overall_progress?: string; blockers?: string[]; last_updated?: string }>(target: T, tally: Tally): T {
  const out: T = { ...target, overall_progress: percentOf(tally.done, tally.total), blockers: tally.blockers };
  if (tally.lastUpdated === undefined) delete out.last_updated;
  else out.last_updated = tally.lastUpdated;
  return out;
}
