// Startup recovery after any crash: git is the truth about what completed; dead workers' attempts end;
// orphan worktrees have their leftovers committed on their branch (never deleted) and are removed.
import { existsSync } from "node:fs";
import { lstat, readFile, readdir, rm, rmdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { killProcessesUnder } from "../agents/shell.js";
import {
  commitsWithTrailer,
  commonDirOf,
  createTag,
  gitCommonDir,
  listTags,
  statusCount,
  whyNotOurs,
  worktreeGitDir,
  worktreeList,
  worktreePrune,
  worktreeRemove,
  type OwnershipContext,
} from "../git/index.js";
import { runGit } from "../git/run-git.js";
import { attemptOfBranch, saveLeftovers } from "../worker/worktree.js";
import type { Plan } from "../plan/load-plan.js";
import type { TaskState } from "../schema/progress.js";
import type { CodexStore } from "../store/codex-store.js";
import { workerWorktree } from "../store/paths.js";
import { symlinkOnPath } from "../store/safe-path.js";
import { isClaimLive, leadClaim, startTimeOf, workerClaim } from "../util/process-identity.js";
import { TAG_PREFIX, taskTag } from "./integrate.js";
import { settleCompleted } from "./progress-changes.js";
import { foreignTags } from "./repository-checks.js";
import { CodexError, ExitCode } from "../errors.js";

export const ROLLED_BACK_PREFIX = "codex/rolled-back/";

/** Marks completed every subtask git says is done (tagged, or merged but untagged after a crash). */
export async function recoverCompletions(store: CodexStore, plan: Plan, integrationBranch: string): Promise<string[]> {
  const root = store.paths.root;
  const tags = await listTags(root, `${TAG_PREFIX}*`);
  // Tags are shared by the worktrees of a repository: one of our ids tagged off our branch is another plan's.
  const foreign = await foreignTags(root, integrationBranch, tags, TAG_PREFIX, (id) => plan.byId.has(id));
  if (foreign.length > 0) {
    throw new CodexError("E_FOREIGN_TAG", `${foreign.length === 1 ? "tag" : "tags"} ${foreign.join(", ")} of subtasks of this plan ${foreign.length === 1 ? "is" : "are"} on commits that are not on ${integrationBranch}: another plan of this repository (another worktree) completed subtasks with the same ids, or the branch was reset`, {
      hint: `Tags are shared by every worktree of a repository: rename those subtasks in this plan, or, if the tags are stale, delete them (git tag -d ${foreign.join(" ")}).`,
      exitCode: ExitCode.usage,
    });
  }
  const rolledBack = new Set((await listTags(root, `${ROLLED_BACK_PREFIX}*`)).values());
  // A crash between moving the integration branch and tagging leaves a merged, untagged commit: tag it now.
  for (const { sha, value } of await commitsWithTrailer(root, `refs/heads/${integrationBranch}`, "Task")) {
    const task = value.trim();
    if (!plan.byId.has(task) || tags.has(taskTag(task)) || rolledBack.has(sha)) continue;
    await createTag(root, taskTag(task), sha);
    tags.set(taskTag(task), sha);
  }
  let recovered: { id: string; from: string; attempt: number | undefined; sha: string; tag: string }[] = [];
  await store.progress.update((progress) => {
    // May run again on top of a person's save: start over from the draft each time.
    recovered = [];
    for (const [tag, sha] of tags) {
      const id = tag.slice(TAG_PREFIX.length);
      if (!plan.byId.has(id)) continue;
      const task = progress.tasks[id];
      if (task?.status === "completed" && task.commit === sha) continue;
      const now = new Date().toISOString();
      const entry: TaskState = { ...(task ?? { status: "completed" }) };
      settleCompleted(entry, { commit: sha, tag, completedAt: task?.completed_at ?? now, now });
      progress.tasks[id] = entry;
      recovered.push({ id, from: task?.status ?? "not_started", attempt: task?.attempt, sha, tag });
    }
  });
  // The audit log records this transition like any other (a lead killed between tagging and writing progress.json
  // left it unrecorded): events.jsonl then agrees with progress.json.
  for (const { id, from, attempt, sha, tag } of recovered) {
    await store.event({
      type: "task.status",
      task: id,
      ...(attempt === undefined ? {} : { attempt }),
      from,
      to: "completed",
      reason: `recovered from git: ${tag} is on ${sha.slice(0, 12)}`,
      by: "lead",
      data: { commit: sha, tag, recovered: true },
    });
  }
  return recovered.map((r) => r.id);
}

/**
 * Workers on this host whose process is gone — or whose pid now names another process (its start time or marker
 * differ) — are marked exited; live workers of a lead that died are adopted (their entry names this lead, which
 * they follow). Entries whose key is unsafe as a folder name are left alone and reported. Returns the ids.
 */
export async function markDeadWorkers(store: CodexStore): Promise<{ dead: string[]; adopted: string[]; unsafe: string[] }> {
  const dead: string[] = [];
  const adopted: string[] = [];
  const unsafe: string[] = [];
  const host = os.hostname();
  await store.progress.update((progress) => {
    // The mutate runs again on top of a person's save: start the lists afresh each time.
    dead.length = 0;
    adopted.length = 0;
    unsafe.length = 0;
    for (const [id, worker] of Object.entries(progress.workers ?? {})) {
      if (workerWorktree(store.paths, id) === undefined) {
        unsafe.push(id);
        continue;
      }
      if (worker.status === "exited" || worker.host !== host) continue;
      if (!isClaimLive(workerClaim(worker))) {
        worker.status = "exited";
        worker.agent_pid = null;
        dead.push(id);
      } else if (worker.lead_pid && worker.lead_pid !== process.pid && !isClaimLive(leadClaim(worker) ?? { pid: worker.lead_pid })) {
        worker.lead_pid = process.pid;
        worker.lead_start = startTimeOf(process.pid) ?? null;
        adopted.push(id);
      }
    }
  });
  // Their orphaned agents, if any, in worktrees we made: after the lock is released (scanning /proc is not for under a lock).
  if (dead.length > 0) {
    const ownership = await ownershipOf(store);
    for (const id of dead) {
      const worktree = workerWorktree(store.paths, id);
      if (worktree !== undefined && whyNotOurs(ownership, worktree) === undefined) await killProcessesUnder(worktree);
    }
  }
  return { dead, adopted, unsafe };
}

/**
 * Worktrees of workers that are gone: leftovers committed on their branch, then the worktree removed. Only ours
 * (worktree-owner.ts): anything else under .codex/worktrees is reported and left as it is.
 */
export async function cleanOrphanWorktrees(store: CodexStore, log: (line: string) => void): Promise<string[]> {
  const dir = store.paths.worktrees;
  if (!existsSync(dir)) return [];
  const link = symlinkOnPath(store.paths.dir, dir);
  if (link !== undefined) {
    log(`left .codex/worktrees alone: ${link} is a symbolic link; codex-crew only clears up worktrees it made inside the repository`);
    return [];
  }
  const progress = await store.progress.read();
  const host = os.hostname();
  const removed: string[] = [];
  const ownership = await ownershipOf(store);
  for (const entry of await readdir(dir)) {
    const worker = progress.workers?.[entry];
    if (worker && (worker.host !== host || isClaimLive(workerClaim(worker)))) continue; // a live worker's tree is never touched
    if (await salvageWorktree(store, entry, log, ownership)) removed.push(entry);
  }
  await worktreePrune(store.paths.root).catch(() => undefined);
  return removed;
}

/**
 * The worktree of worker `entry`, which is gone: its uncommitted work committed on its branch (Codex-WIP), then the
 * tree removed. True when removed. Only a worktree we made (worktree-owner.ts) under a safe worker id is touched;
 * anything else is reported and kept. The caller makes sure the worker is dead; whatever still runs there is killed.
 */
export async function salvageWorktree(store: CodexStore, entry: string, log: (line: string) => void, known?: OwnershipContext): Promise<boolean> {
  const worktree = workerWorktree(store.paths, entry);
  if (worktree === undefined) {
    log(`kept ${path.join(store.paths.worktrees, entry)}: ${JSON.stringify(entry)} is not a worker id`);
    return false;
  }
  if (!existsSync(worktree)) return false;
  try {
    const ownership = known ?? (await ownershipOf(store));
    const info = ownership.listed.find((w) => path.resolve(w.path) === worktree);
    if (!info) {
      // Never registered: `git worktree add` died before writing the tree's .git file, so the folder is empty.
      // Anything with content is not ours to judge.
      if (await removeIfEmpty(worktree)) return true;
      log(`kept ${worktree}: not a registered worktree of this repository`);
      return false;
    }
    const notOurs = whyNotOurs(ownership, worktree);
    if (notOurs !== undefined) {
      log(`kept ${worktree}: ${notOurs}`);
      return false;
    }
    // Nothing may still write there while its leftovers are committed and the tree removed.
    await killProcessesUnder(worktree);
    // Locked "initializing": `git worktree add` died mid-checkout; no agent ran, nothing to salvage.
    // Any other lock is a person's decision, and is kept.
    if (info.locked && info.lockReason !== "initializing") {
      log(`kept worktree ${worktree}: locked (${info.lockReason ?? "no reason given"})`);
      return false;
    }
    if (!info.locked) {
      await removeStaleGitLocks(worktree);
      const { uncommitted } = await statusCount(worktree);
      if (uncommitted > 0) {
        const branch = (await runGit(worktree, ["rev-parse", "--abbrev-ref", "HEAD"])).stdout.trim();
        const of = attemptOfBranch(branch);
        // Without hooks or signing, submodules first: a hook or a missing key must not keep the work from its branch.
        await saveLeftovers(worktree, `salvage: uncommitted work left by ${entry}`, { Task: of?.task ?? "unknown", Attempt: of?.attempt ?? "0", Worker: entry });
        log(`kept ${uncommitted} uncommitted file(s) of ${entry} as a commit on ${branch}`);
      }
    }
    await worktreeRemove(store.paths.root, worktree, { force: true, evenIfLocked: info.locked });
    return true;
  } catch (error: unknown) {
    log(`could not clean worktree ${worktree}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/** What tells our worktrees from others (worktree-owner.ts), read once per clean-up. */
export async function ownershipOf(store: CodexStore): Promise<OwnershipContext> {
  const { root, dir, worktrees } = store.paths;
  return { codexDir: dir, worktreesDir: worktrees, commonDir: await gitCommonDir(root), listed: await worktreeList(root) };
}

/** Removes `dir` only if it is an empty folder (never a link, never content); true when removed. */
async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    if (!(await lstat(dir)).isDirectory()) return false;
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * A git killed in the middle of `add`, `commit` or `switch` (with the worker that ran it) leaves its lock files
 * behind — the worktree's index.lock and HEAD.lock, its branch's ref lock — and every later git command there
 * fails. Only called once every process working in that worktree has been killed and is gone.
 */
async function removeStaleGitLocks(worktree: string): Promise<void> {
  let gitDir: string;
  try {
    gitDir = worktreeGitDir(worktree);
  } catch {
    return;
  }
  await rm(path.join(gitDir, "index.lock"), { force: true });
  await rm(path.join(gitDir, "HEAD.lock"), { force: true });
  // The branch this worktree has checked out is written by nobody else (one worktree per branch).
  const head = await readFile(path.join(gitDir, "HEAD"), "utf8").catch(() => "");
  const branch = /^ref:\s*(refs\/heads\/codex\/work\/\S+)$/m.exec(head)?.[1];
  if (!branch) return;
  await rm(path.join(commonDirOf(gitDir), `${branch}.lock`), { force: true });
}
