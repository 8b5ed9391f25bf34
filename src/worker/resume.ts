// Whether an attempt continues the previous one: the openai agent records every call, so after a crash, kill,
// stall or interruption of the previous attempt, the next starts from its kept work and replays its record
// instead of paying for the same calls again. Only when that work was made on the same base: otherwise the
// recorded conversation describes files that are not there.
import { isAncestor, revParse } from "../git/index.js";
import { runGit } from "../git/run-git.js";
import type { TaskState } from "../schema/progress.js";
import type { AttemptToken } from "../ops/fence.js";
import { workBranch } from "./worktree.js";

/** Ends after which the work was cut off rather than judged: the agent did not fail, it was stopped. */
const CUT_OFF = new Set(["stalled", "exited", "interrupted", "lost"]);

export interface ResumePoint {
  fromAttempt: number;
  /** The head of the previous attempt's branch: the new attempt's worktree starts there. */
  head: string;
}

export async function resumePoint(root: string, token: AttemptToken, task: TaskState | undefined, base: string): Promise<ResumePoint | undefined> {
  const previous = token.attempt - 1;
  if (previous < 1) return undefined;
  // No record of how it ended: the run was interrupted (the lead puts the task back without one).
  const ended = task?.attempts?.find((a) => a.attempt === previous);
  if (ended && !CUT_OFF.has(ended.outcome)) return undefined;
  const head = await revParse(root, `refs/heads/${workBranch({ task: token.task, attempt: previous })}`);
  if (head === null || !(await isAncestor(root, base, head))) return undefined;
  // Every commit since the base must be that attempt's own kept work (its WIP or salvage commits).
  const format = "--format=%(trailers:key=Task,valueonly,unfold)%x1f%(trailers:key=Attempt,valueonly,unfold)%x1e";
  const out = (await runGit(root, ["log", format, `${base}..${head}`, "--"])).stdout;
  for (const record of out.split("\x1e")) {
    const [taskId = "", attempt = ""] = record.trim().split("\x1f");
    if (record.trim() === "") continue;
    if (taskId.trim() !== token.task || attempt.trim() !== String(previous)) return undefined;
  }
  return { fromAttempt: previous, head };
}
