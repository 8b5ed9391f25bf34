// Bringing finished attempts onto the integration branch: only the lead does this. Moving the branch
// (compare-and-swap on its old value) and creating the tasks' tags are one atomic ref transaction, so a
// completed subtask has exactly one tag on exactly one commit, whatever instant the lead is killed at.
import { assertGitArg, commitTree, headOf, isAncestor, mergeOnto, revParse, type Author } from "../git/index.js";
import { applyRefTransaction, type RefChange } from "../git/ref-transaction.js";
import { runGit } from "../git/run-git.js";
import { CodexError } from "../errors.js";

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
  author: Author;
  message: string;
}

const INFO_FIELDS = ["%H", "%P", "%(trailers:key=Task,valueonly,separator=%x2c)", "%(trailers:key=Attempt,valueonly,separator=%x2c)", "%an", "%ae", "%ad", "%B"];

/** Parent, token trailers, author and message of each commit (keyed by its full name), in one `git log` for all of them. */
async function commitInfos(root: string, commits: string[]): Promise<Map<string, CommitInfo>> {
  for (const commit of commits) assertGitArg(commit, "commit");
  const format = `${INFO_FIELDS.join("%x00")}%x00`;
  const out = (await runGit(root, ["log", "--no-walk=unsorted", "--date=raw", `--format=${format}`, ...new Set(commits), "--"])).stdout;
  // Each commit is INFO_FIELDS.length NUL-ended fields; log puts a newline between commits.
  const fields = out.split("\0");
  const infos = new Map<string, CommitInfo>();
  for (let i = 0; i + INFO_FIELDS.length <= fields.length; i += INFO_FIELDS.length) {
    const [sha = "", parents = "", task = "", attempt = "", name = "", email = "", date = "", message = ""] = fields.slice(i, i + INFO_FIELDS.length);
    infos.set(sha.replace(/^\n/, ""), { parent: parents.split(" ")[0] ?? "", task: task.trim(), attempt: attempt.trim(), author: { name, email, date }, message });
  }
  return infos;
}

/** The info of `commit` (a full or abbreviated name, as handed off). */
function infoOf(infos: Map<string, CommitInfo>, commit: string): CommitInfo {
  const info = infos.get(commit) ?? [...infos].find(([sha]) => sha.startsWith(commit))?.[1];
  if (!info) throw new CodexError("E_GIT", `git log did not describe commit ${commit}`);
  return info;
}

/** Why `info` is not the commit of `task` attempt `attempt`, or undefined when it is: the commit carries the token. */
function tokenMismatch(info: CommitInfo, commit: string, task: string, attempt: number): string | undefined {
  if (info.task === task && info.attempt === String(attempt)) return undefined;
  return `commit ${commit.slice(0, 12)} carries Task: ${info.task || "-"}, Attempt: ${info.attempt || "-"}, not ${task} attempt ${attempt}`;
}

type Landing = { ok: true; landed: string } | { ok: false; conflicts: string[] };

/** The commit that puts `commit`'s change on top of `head`: itself when it starts there, else a merge made in memory. */
async function landOn(root: string, head: string, commit: string, info: CommitInfo): Promise<Landing> {
  // Nothing landed since the attempt started: fast-forward to the worker's own commit.
  if (info.parent === head) return { ok: true, landed: commit };
  const merged = await mergeOnto(root, { onto: head, commit });
  if (!merged.ok) return merged;
  return { ok: true, landed: await commitTree(root, { tree: merged.tree, parents: [head], message: info.message, author: info.author }) };
}

export async function integrate(request: IntegrateRequest): Promise<IntegrateResult> {
  const { root, task, attempt, commit } = request;
  const tag = taskTag(task);
  const ref = `refs/heads/${request.integrationBranch}`;
  const info = infoOf(await commitInfos(root, [commit]), commit);
  const refused = tokenMismatch(info, commit, task, attempt);
  if (refused) return { ok: false, kind: "refused", reason: refused };
  let head = request.head ?? (await headOf(root, ref));
  for (let round = 0; round < 20; round++) {
    const landing = await landOn(root, head, commit, info);
    if (!landing.ok) return { ok: false, kind: "conflict", conflicts: landing.conflicts };
    const landed = landing.landed;
    if (await applyRefTransaction(root, [
      { op: "update", ref, newSha: landed, expectedOld: head },
      { op: "create", ref: `refs/tags/${tag}`, newSha: landed },
    ])) {
      return { ok: true, commit: landed, tag, alreadyTagged: false, head: landed };
    }
    // Either the task is already tagged (done before a crash), or the branch moved: find out which.
    const tagged = await revParse(root, `refs/tags/${tag}^{commit}`);
    const current = await headOf(root, ref);
    if (tagged) {
      // Tags are shared by the worktrees of a repository: a tag off our branch is another plan's, not our completion.
      if (!(await isAncestor(root, tagged, current))) {
        return { ok: false, kind: "refused", reason: `tag ${tag} already exists on ${tagged.slice(0, 12)}, which is not on ${ref}: another plan of this repository completed a subtask with this id` };
      }
      return { ok: true, commit: tagged, tag, alreadyTagged: true, head: current };
    }
    head = current;
  }
  return { ok: false, kind: "refused", reason: `${ref} kept moving while merging ${task}` };
}

export interface BatchRequest {
  root: string;
  integrationBranch: string;
  /** Finished attempts, merged in this order. */
  handoffs: { task: string; attempt: number; commit: string }[];
  /** The integration head as last seen; a wrong guess only costs the slow path. */
  head: string;
}

/**
 * Several finished attempts at once: each is merged onto the one before (in memory), and the branch moves
 * over all of them and every tag is created in one ref transaction. A conflict or a refused commit leaves
 * the others going; when the transaction fails (the branch moved, a tag exists after a crash), each is
 * integrated on its own, which sorts those cases out. Results are keyed by task.
 */
export async function integrateBatch(request: BatchRequest): Promise<Map<string, IntegrateResult>> {
  const { root, handoffs } = request;
  const ref = `refs/heads/${request.integrationBranch}`;
  const results = new Map<string, IntegrateResult>();
  if (handoffs.length === 0) return results;
  const infos = await commitInfos(root, handoffs.map((h) => h.commit));
  let head = request.head;
  const landed: { task: string; commit: string }[] = [];
  for (const handoff of handoffs) {
    const info = infoOf(infos, handoff.commit);
    const refused = tokenMismatch(info, handoff.commit, handoff.task, handoff.attempt);
    if (refused) {
      results.set(handoff.task, { ok: false, kind: "refused", reason: refused });
      continue;
    }
    const landing = await landOn(root, head, handoff.commit, info);
    if (!landing.ok) {
      results.set(handoff.task, { ok: false, kind: "conflict", conflicts: landing.conflicts });
      continue;
    }
    head = landing.landed;
    landed.push({ task: handoff.task, commit: head });
  }
  if (landed.length === 0) return results;
  const changes: RefChange[] = [
    { op: "update", ref, newSha: head, expectedOld: request.head },
    ...landed.map(({ task, commit }): RefChange => ({ op: "create", ref: `refs/tags/${taskTag(task)}`, newSha: commit })),
  ];
  if (await applyRefTransaction(root, changes)) {
    for (const { task, commit } of landed) results.set(task, { ok: true, commit, tag: taskTag(task), alreadyTagged: false, head });
    return results;
  }
  for (const handoff of handoffs) {
    if (!landed.some((l) => l.task === handoff.task)) continue;
    results.set(handoff.task, await integrate({ root, integrationBranch: request.integrationBranch, ...handoff }));
  }
  return results;
}
