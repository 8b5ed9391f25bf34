// Bringing a finished attempt onto the integration branch: only the lead does this. Moving the branch
// (compare-and-swap on its old value) and creating the task's tag are one atomic ref transaction, so a
// completed subtask has exactly one tag on exactly one commit, whatever instant the lead is killed at.
import { commitTree, headOf, mergeOnto, revParse } from "../git/index.js";
import { applyRefTransaction } from "../git/ref-transaction.js";
import { runGit } from "../git/run-git.js";

export const TAG_PREFIX = "codex/task/";

export function taskTag(task: string): string {
  return `${TAG_PREFIX}${task}`;
}

export type IntegrateResult =
  | { ok: true; commit: string; tag: string; alreadyTagged: boolean; head: string }
  | { ok: false; kind: "conflict"; conflicts: string[] }
  | { ok: false; kind: "refused"; reason: string };

export interface IntegrateRequest {
  root: string;
  integrationBranch: string;
  task: string;
  attempt: number;
  commit: string;
  /** The integration head as last seen (saves a git call); re-read when the compare-and-swap says it moved. */
  head?: string;
}

interface CommitInfo {
  parent: string;
  task: string;
  attempt: string;
  message: string;
}

async function commitInfo(root: string, commit: string): Promise<CommitInfo> {
  const format = "%P%x00%(trailers:key=Task,valueonly,separator=%x2c)%x00%(trailers:key=Attempt,valueonly,separator=%x2c)%x00%B";
  const [parents = "", task = "", attempt = "", ...message] = (await runGit(root, ["log", "-1", `--format=${format}`, commit, "--"])).stdout.split("\0");
  return { parent: parents.split(" ")[0] ?? "", task: task.trim(), attempt: attempt.trim(), message: message.join("\0") };
}

export async function integrate(request: IntegrateRequest): Promise<IntegrateResult> {
  const { root, task, attempt, commit } = request;
  const tag = taskTag(task);
  const ref = `refs/heads/${request.integrationBranch}`;
  // The commit itself carries the token: a commit of another attempt is never merged.
  const info = await commitInfo(root, commit);
  if (info.task !== task || info.attempt !== String(attempt)) {
    return {
      ok: false,
      kind: "refused",
      reason: `commit ${commit.slice(0, 12)} carries Task: ${info.task || "-"}, Attempt: ${info.attempt || "-"}, not ${task} attempt ${attempt}`,
    };
  }
  let head = request.head ?? (await headOf(root, ref));
  for (let round = 0; round < 20; round++) {
    let landed: string;
    if (info.parent === head) {
      landed = commit; // nothing landed since the attempt started: fast-forward to the worker's own commit
    } else {
      const merged = await mergeOnto(root, { onto: head, commit });
      if (!merged.ok) return { ok: false, kind: "conflict", conflicts: merged.conflicts };
      landed = await commitTree(root, { tree: merged.tree, parents: [head], message: info.message, authorFrom: commit });
    }
    if (await applyRefTransaction(root, [
      { op: "update", ref, newSha: landed, expectedOld: head },
      { op: "create", ref: `refs/tags/${tag}`, newSha: landed },
    ])) {
      return { ok: true, commit: landed, tag, alreadyTagged: false, head: landed };
    }
    // Either the task is already tagged (done before a crash), or the branch moved: find out which.
    const tagged = await revParse(root, `refs/tags/${tag}^{commit}`);
    const current = await headOf(root, ref);
    if (tagged) return { ok: true, commit: tagged, tag, alreadyTagged: true, head: current };
    head = current;
  }
  return { ok: false, kind: "refused", reason: `${ref} kept moving while merging ${task}` };
}
