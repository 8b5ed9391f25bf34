// Bringing a finished attempt onto the integration branch: only the lead does this, by compare-and-swap on the
// ref, and tags the result in the codex/ namespace — one tag on one commit per completed subtask.
import { createTag, headOf, mergeOnto, commitTree, readTrailers, revParse, updateRefCas } from "../git/index.js";
import { runGit } from "../git/run-git.js";

export const TAG_PREFIX = "codex/task/";

export function taskTag(task: string): string {
  return `${TAG_PREFIX}${task}`;
}

export type IntegrateResult =
  | { ok: true; commit: string; tag: string; alreadyTagged: boolean }
  | { ok: false; kind: "conflict"; conflicts: string[] }
  | { ok: false; kind: "refused"; reason: string };

export interface IntegrateRequest {
  root: string;
  integrationBranch: string;
  task: string;
  attempt: number;
  commit: string;
}

export async function integrate(request: IntegrateRequest): Promise<IntegrateResult> {
  const { root, task, attempt, commit } = request;
  const tag = taskTag(task);
  const tagged = await revParse(root, `refs/tags/${tag}^{commit}`);
  if (tagged) return { ok: true, commit: tagged, tag, alreadyTagged: true };

  // The commit itself carries the token: a commit of another attempt is never merged.
  const trailers = await readTrailers(root, commit);
  if (trailers["Task"] !== task || trailers["Attempt"] !== String(attempt)) {
    return {
      ok: false,
      kind: "refused",
      reason: `commit ${commit.slice(0, 12)} carries Task: ${trailers["Task"] ?? "-"}, Attempt: ${trailers["Attempt"] ?? "-"}, not ${task} attempt ${attempt}`,
    };
  }
  const ref = `refs/heads/${request.integrationBranch}`;
  const message = (await runGit(root, ["log", "-1", "--format=%B", commit])).stdout;
  for (let round = 0; round < 20; round++) {
    const head = await headOf(root, ref);
    const parent = await revParse(root, `${commit}^`);
    let landed: string;
    if (parent === head) {
      landed = commit; // nothing landed since the attempt started: fast-forward to the worker's own commit
    } else {
      const merged = await mergeOnto(root, { onto: head, commit });
      if (!merged.ok) return { ok: false, kind: "conflict", conflicts: merged.conflicts };
      landed = await commitTree(root, { tree: merged.tree, parents: [head], message, authorFrom: commit });
    }
    if (await updateRefCas(root, ref, landed, head)) {
      const created = await createTag(root, tag, landed);
      return { ok: true, commit: landed, tag, alreadyTagged: created === "exists" };
    }
  }
  return { ok: false, kind: "refused", reason: `${ref} kept moving while merging ${task}` };
}
