// `gc`: removes the worktrees and work branches codex-crew created, only when merged or explicitly abandoned,
// never a live worker's; everything else is listed with what removing it would lose, and kept.
import { existsSync, realpathSync } from "node:fs";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CodexError, ExitCode } from "../errors.js";
import { gitCommonDir, isAncestor, listBranches, whyNotOurs, revParse, statusCount, worktreeList, worktreeRemove, type WorktreeInfo } from "../git/index.js";
import { runGit } from "../git/run-git.js";
import type { ProgressFile } from "../schema/progress.js";
import { integrationHead, type CheckpointRepo } from "./_repo.js";
import { isClaimLive, workerClaim } from "../util/process-identity.js";

export const WORK_BRANCH_PREFIX = "codex/work/";

export type GcAction = "removed" | "would-remove" | "kept";

export interface GcItem {
  kind: "worktree" | "branch";
  /** The branch name, or the worktree's path relative to the repository. */
  name: string;
  action: GcAction;
  /** Why it is removed (merged, abandoned, folder gone) or kept (live, unmerged, uncommitted, checked out). */
  why: string;
  /** What removing it loses (kept items; abandoned items that were removed anyway). */
  uncommitted: number;
  unmergedCommits: number;
}

export interface GcOptions {
  dryRun?: boolean;
  /** Branches (codex/work/...), worker ids or worktree paths a person gives up: removed even if unmerged. */
  abandon?: string[];
}

export interface GcResult {
  dryRun: boolean;
  integrationBranch: string;
  items: GcItem[];
}

interface Live {
  workers: Set<string>;
  /** Branch -> why it is in use. */
  branches: Map<string, string>;
}

/**
 * A listed worktree's path as reached through .codex/worktrees (git may record it by its real path): then a link
 * on the way, or a folder elsewhere, is seen for what it is.
 */
function underWorktrees(worktreesDir: string, listedPath: string): string {
  const relative = path.relative(canonical(worktreesDir), canonical(listedPath));
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? listedPath : path.join(worktreesDir, relative);
}

function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Workers whose process runs (on another host: assumed running unless it said it exited), and the branches they use. */
function liveWork(progress: ProgressFile): Live {
  const host = os.hostname();
  const live: Live = { workers: new Set(), branches: new Map() };
  for (const [id, worker] of Object.entries(progress.workers ?? {})) {
    if (worker.status === "exited") continue;
    if (worker.host === host && !isClaimLive(workerClaim(worker))) continue;
    live.workers.add(id);
    if (worker.task && worker.attempt) live.branches.set(`${WORK_BRANCH_PREFIX}${worker.task}/a${worker.attempt}`, `in use by live worker ${id} (pid ${worker.pid})`);
  }
  for (const [id, task] of Object.entries(progress.tasks)) {
    if (task.status === "in_progress" && task.attempt) {
      const branch = `${WORK_BRANCH_PREFIX}${id}/a${task.attempt}`;
      if (!live.branches.has(branch)) live.branches.set(branch, `the current attempt of ${id}, which is in_progress`);
    }
  }
  return live;
}

/** Task#attempt keys of the subtask commits that landed on the integration branch (WIP commits never land). */
async function landedAttempts(root: string, head: string): Promise<Set<string>> {
  const format = "--format=%(trailers:key=Task,valueonly,unfold)%x1f%(trailers:key=Attempt,valueonly,unfold)%x1e";
  const out = (await runGit(root, ["log", "--first-parent", format, head, "--"])).stdout;
  const keys = new Set<string>();
  for (const record of out.split("\x1e")) {
    const [task = "", attempt = ""] = record.split("\x1f").map((v) => v.trim());
    if (task !== "" && attempt !== "") keys.add(`${task}#${attempt}`);
  }
  return keys;
}

/**
 * How many commits of `tip` the integration branch does not have in any form. A commit counts as
 * merged when it is an ancestor of the head, when `git cherry` finds a commit with the same patch-id
 * on it, or when it is a subtask commit (not WIP) whose Task/Attempt landed there — the lead re-creates
 * a worker's commit on the moving head, so its diff context (and patch-id) may differ.
 */
async function unmergedCount(root: string, head: string, tip: string, landed: Set<string>): Promise<number> {
  if (await isAncestor(root, tip, head)) return 0;
  const cherry = (await runGit(root, ["cherry", head, tip])).stdout;
  const missing = new Set(cherry.split("\n").filter((line) => line.startsWith("+ ")).map((line) => line.slice(2).trim()));
  if (missing.size === 0) return 0;
  const format = "--format=%H%x1f%(trailers:key=Task,valueonly,unfold)%x1f%(trailers:key=Attempt,valueonly,unfold)%x1f%(trailers:key=Codex-WIP,valueonly,unfold)%x1e";
  const out = (await runGit(root, ["log", format, `${head}..${tip}`, "--"])).stdout;
  let count = 0;
  for (const record of out.split("\x1e")) {
    const [sha = "", task = "", attempt = "", wip = ""] = record.replace(/^\n/, "").split("\x1f").map((v) => v.trim());
    if (sha === "" || !missing.has(sha)) continue;
    if (wip === "" && task !== "" && landed.has(`${task}#${attempt}`)) continue;
    count++;
  }
  return count;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function lossText(uncommitted: number, unmerged: number): string {
  const parts: string[] = [];
  if (uncommitted > 0) parts.push(plural(uncommitted, "uncommitted file"));
  if (unmerged > 0) parts.push(plural(unmerged, "unmerged commit"));
  return parts.length > 0 ? `would lose ${parts.join(" and ")}` : "would lose nothing";
}

export async function gc(repo: CheckpointRepo, options: GcOptions = {}): Promise<GcResult> {
  const { root } = repo;
  const dryRun = options.dryRun ?? false;
  const head = await integrationHead(repo);
  const progress = await repo.store.progress.read();
  const live = liveWork(progress);
  const landed = await landedAttempts(root, head);
  const all = await worktreeList(root);
  const ownership = { codexDir: repo.store.paths.dir, worktreesDir: repo.store.paths.worktrees, commonDir: await gitCommonDir(root), listed: all };
  // Only what we made (worktree-owner.ts): a person's worktree, or one reached through a link, is never judged.
  const notOurs = (w: WorktreeInfo) => whyNotOurs(ownership, underWorktrees(repo.store.paths.worktrees, w.path));
  // One whose folder is gone leaves only git's record of it, which `git worktree prune` drops: nothing to lose.
  const gone = (w: WorktreeInfo) => !existsSync(w.path) && !path.relative(repo.store.paths.worktrees, w.path).startsWith("..");
  const ours = all.filter((w) => notOurs(w) === undefined || gone(w));
  const foreign = all.filter((w) => !ours.includes(w));
  const branches = [...(await listBranches(root, `${WORK_BRANCH_PREFIX}*`))].filter(([name]) => name !== repo.integrationBranch);
  const relative = (p: string) => path.relative(root, p) || p;

  // What the person gave up, checked before anything is touched.
  const abandonedBranches = new Set<string>();
  const abandonedTrees = new Set<WorktreeInfo>();
  for (const name of options.abandon ?? []) {
    const tree = ours.find((w) => path.basename(w.path) === name || canonical(w.path) === canonical(path.resolve(root, name)));
    const branch = branches.find(([b]) => b === name);
    if (tree === undefined && branch === undefined) {
      throw new CodexError("E_NOT_OURS", `--abandon ${name}: not a codex/work/ branch or a worktree under .codex/worktrees`, {
        hint: "gc only removes what codex-crew created; run `codex-lead gc --dry-run` to see those.",
        exitCode: ExitCode.usage,
      });
    }
    const inUse = tree ? (live.workers.has(path.basename(tree.path)) ? `it is the worktree of live worker ${path.basename(tree.path)}` : undefined) : live.branches.get(name);
    if (inUse !== undefined) {
      throw new CodexError("E_IN_USE", `--abandon ${name}: ${inUse}; nothing was removed`, {
        hint: "Stop that work first (`codex-lead cancel <task>`), then run gc again.",
        exitCode: ExitCode.usage,
      });
    }
    if (tree) abandonedTrees.add(tree);
    if (branch) {
      abandonedBranches.add(name);
      for (const w of ours) if (w.branch === name && !live.workers.has(path.basename(w.path))) abandonedTrees.add(w);
    }
  }

  const items: GcItem[] = [];
  const doing: GcAction = dryRun ? "would-remove" : "removed";
  const unmergedOf = new Map<string, number>();
  for (const [name, sha] of branches) unmergedOf.set(name, await unmergedCount(root, head, sha, landed));

  // Worktrees first: a branch checked out in a worktree cannot go before its worktree.
  const remainingTrees: WorktreeInfo[] = [...foreign];
  for (const tree of ours) {
    const worker = path.basename(tree.path);
    const name = relative(tree.path);
    if (live.workers.has(worker)) {
      const w = progress.workers?.[worker];
      items.push({ kind: "worktree", name, action: "kept", why: `live worker ${worker}${w ? ` (pid ${w.pid} on ${w.host})` : ""}`, uncommitted: 0, unmergedCommits: 0 });
      remainingTrees.push(tree);
      continue;
    }
    if (tree.prunable || !existsSync(tree.path)) {
      if (!dryRun) await worktreeRemove(root, tree.path);
      items.push({ kind: "worktree", name, action: doing, why: "its folder is already gone (git forgets it)", uncommitted: 0, unmergedCommits: 0 });
      continue;
    }
    let uncommitted: number;
    try {
      uncommitted = (await statusCount(tree.path)).uncommitted;
    } catch (error: unknown) {
      items.push({ kind: "worktree", name, action: "kept", why: `could not read its status: ${error instanceof Error ? error.message : String(error)}`, uncommitted: 0, unmergedCommits: 0 });
      remainingTrees.push(tree);
      continue;
    }
    const unmerged = tree.branch !== null ? (unmergedOf.get(tree.branch) ?? (await unmergedCount(root, head, tree.head, landed))) : await unmergedCount(root, head, tree.head, landed);
    const onWhat = tree.branch ?? `detached ${tree.head.slice(0, 12)}`;
    if (abandonedTrees.has(tree)) {
      if (!dryRun) await worktreeRemove(root, tree.path, { force: true });
      items.push({ kind: "worktree", name, action: doing, why: `abandoned (${onWhat}); ${lossText(uncommitted, tree.branch === null ? unmerged : 0)}`, uncommitted, unmergedCommits: tree.branch === null ? unmerged : 0 });
      continue;
    }
    if (uncommitted > 0 || unmerged > 0) {
      const why = `${lossText(uncommitted, unmerged)} (${onWhat}); \`codex-lead gc --abandon ${worker}\` removes it anyway`;
      items.push({ kind: "worktree", name, action: "kept", why, uncommitted, unmergedCommits: unmerged });
      remainingTrees.push(tree);
      continue;
    }
    if (!dryRun) {
      try {
        await worktreeRemove(root, tree.path); // without --force: git refuses if files changed meanwhile
      } catch (error: unknown) {
        items.push({ kind: "worktree", name, action: "kept", why: `git refused to remove it: ${error instanceof Error ? error.message : String(error)}`, uncommitted, unmergedCommits: 0 });
        remainingTrees.push(tree);
        continue;
      }
    }
    items.push({ kind: "worktree", name, action: doing, why: `clean, and ${onWhat} is merged into ${repo.integrationBranch}`, uncommitted: 0, unmergedCommits: 0 });
  }

  // Then branches: merged or abandoned, not in use, not checked out anywhere that stays.
  const checkedOut = new Map<string, string>();
  for (const tree of dryRun ? remainingTrees : await worktreeList(root)) if (tree.branch) checkedOut.set(tree.branch, relative(tree.path));
  for (const [name, sha] of branches) {
    const unmerged = unmergedOf.get(name) ?? 0;
    const inUse = live.branches.get(name);
    const holder = checkedOut.get(name);
    const kept = (why: string) => items.push({ kind: "branch", name, action: "kept", why, uncommitted: 0, unmergedCommits: unmerged });
    if (inUse !== undefined) {
      kept(inUse);
      continue;
    }
    if (holder !== undefined) {
      kept(`checked out in ${holder}${unmerged > 0 ? `; ${lossText(0, unmerged)}` : ""}`);
      continue;
    }
    const abandoned = abandonedBranches.has(name);
    if (unmerged > 0 && !abandoned) {
      kept(`${lossText(0, unmerged)}${supersededNote(name, progress)}; \`codex-lead gc --abandon ${name}\` removes it anyway`);
      continue;
    }
    if (!dryRun) {
      // Compare-and-delete: only if the branch still points where we judged it.
      const deleted = await runGit(root, ["update-ref", "-m", "codex-crew: gc", "-d", `refs/heads/${name}`, sha], { okExitCodes: [0, 1] });
      if (deleted.exitCode !== 0 && (await revParse(root, `refs/heads/${name}`)) !== null) {
        kept("it moved while gc was looking; run gc again");
        continue;
      }
    }
    const why = abandoned && unmerged > 0 ? `abandoned; ${lossText(0, unmerged)}` : `merged into ${repo.integrationBranch}`;
    items.push({ kind: "branch", name, action: doing, why, uncommitted: 0, unmergedCommits: abandoned ? unmerged : 0 });
  }

  // Folders under .codex/worktrees that git does not know as worktrees: not ours to judge.
  if (existsSync(repo.store.paths.worktrees)) {
    const known = new Set(ours.map((w) => canonical(w.path)));
    for (const entry of await readdir(repo.store.paths.worktrees)) {
      const full = path.join(repo.store.paths.worktrees, entry);
      if (!known.has(canonical(full))) {
        const why = `${whyNotOurs(ownership, full) ?? "not a registered git worktree"}; look at it and remove it by hand`;
        items.push({ kind: "worktree", name: relative(full), action: "kept", why, uncommitted: 0, unmergedCommits: 0 });
      }
    }
  }
  return { dryRun, integrationBranch: repo.integrationBranch, items };
}

/** ", task T was completed by attempt K" for a branch of an earlier attempt of a completed task. */
function supersededNote(branch: string, progress: ProgressFile): string {
  const match = /^codex\/work\/(.+)\/a(\d+)$/.exec(branch);
  if (!match) return "";
  const task = progress.tasks[match[1] ?? ""];
  if (task?.status !== "completed" || String(task.attempt) === match[2]) return "";
  return ` (task ${match[1]} was completed by attempt ${task.attempt ?? "?"})`;
}

/** One line per item, as the CLI prints them. */
export function renderGc(result: GcResult): string {
  if (result.items.length === 0) return "nothing of codex-crew's to clean up";
  const label = (action: GcAction) => (action === "removed" ? "removed" : action === "would-remove" ? "would remove" : "kept");
  return result.items.map((item) => `${label(item.action)} ${item.kind} ${item.name}: ${item.why}`).join("\n");
}
