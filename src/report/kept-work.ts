// Work that stays on codex/work/* branches without having landed: WIP of stopped or failed attempts, and
// finished attempts that were never merged (a conflict, a stale token). `status` names it; gc keeps it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ProgressFile } from "../schema/progress.js";

export interface KeptBranch {
  branch: string;
  task: string;
  attempt: number;
  why: string;
}

/** One git call: every work branch with its tip's trailers, compared with what completed. */
export async function keptWork(root: string, progress: ProgressFile): Promise<KeptBranch[]> {
  return classifyWorkBranches(await listWorkBranches(root), progress);
}

/**
 * The raw list of work branches and their tips' trailers. Apart from the classification so that `status`
 * can start the git call first and read the files while git runs.
 */
export async function listWorkBranches(root: string): Promise<string> {
  const format = "%(refname:short)%1f%(trailers:only,unfold,separator=%x1d)%1e";
  // One read-only call through node's own execFile (argv, no shell): `status` stays fast without loading execa.
  const { stdout } = await promisify(execFile)("git", ["for-each-ref", `--format=${format}`, "refs/heads/codex/work/"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The branches of listWorkBranches' output that hold work which did not land, and why. */
export function classifyWorkBranches(out: string, progress: ProgressFile): KeptBranch[] {
  const kept: KeptBranch[] = [];
  for (const record of out.split("\x1e")) {
    const [branch = "", trailerText = ""] = record.trim().split("\x1f");
    if (!branch) continue;
    const trailers = new Map(
      trailerText
        .split("\x1d")
        .map((line) => line.split(/:\s*/, 2) as [string, string])
        .filter(([key, value]) => key && value !== undefined),
    );
    const task = trailers.get("Task") ?? /^codex\/work\/(.+)\/a\d+$/.exec(branch)?.[1] ?? "";
    const attempt = Number(trailers.get("Attempt") ?? /\/a(\d+)$/.exec(branch)?.[1] ?? 0);
    const state = progress.tasks[task];
    if (trailers.get("Codex-WIP") === "true") {
      kept.push({ branch, task, attempt, why: "uncommitted work of a stopped or failed attempt, committed as WIP" });
    } else if (!trailers.has("Task")) {
      continue; // nothing committed on it yet: the branch is its base
    } else if (state?.status === "completed" && state.attempt === attempt) {
      continue; // the attempt that landed
    } else if (state?.status === "in_progress" && state.attempt === attempt) {
      continue; // still being merged
    } else {
      kept.push({ branch, task, attempt, why: "a finished attempt that was not merged" });
    }
  }
  return kept;
}

export function renderKeptWork(kept: KeptBranch[]): string {
  if (kept.length === 0) return "";
  const lines = kept.map((k) => `  ${k.branch}  ${k.why}`);
  return `\nKept on branches, not merged (nothing is deleted; \`codex-lead gc\` lists what removing it would lose)\n${lines.join("\n")}\n`;
}
