// The file guard applied to real changes: an attempt's worktree (the worker, before it commits) and a handed-off
// commit (the lead, before it merges). git is asked with argv arrays only.
import { filesChangedSince } from "../git/index.js";
import type { Config } from "../schema/config.js";
import type { Subtask } from "../schema/features.js";
import { checkFiles, describeViolation, fileGuardOf, guardIsOpen } from "./file-guard.js";

/**
 * Why the changes since `base` (in `cwd`'s worktree, or up to `commit`) break the subtask's file guard, or
 * undefined when they do not (or the subtask has no guard).
 */
export async function refusedChanges(
  cwd: string,
  base: string | undefined,
  subtask: Pick<Subtask, "files" | "files_only">,
  config: Pick<Config, "guard">,
  commit?: string,
): Promise<string | undefined> {
  const guard = fileGuardOf(subtask, config);
  if (guardIsOpen(guard)) return undefined;
  // Without a base nothing tells what the attempt changed: refused rather than let anything through.
  if (!base) return "the attempt has no recorded base commit, so its changes cannot be checked against the file guard";
  const violation = checkFiles(await filesChangedSince(cwd, base, commit), guard);
  return violation ? describeViolation(violation, guard) : undefined;
}

/** The feedback the agent gets for a refused change: what was refused, and how to get it through. */
export function guardFeedback(reason: string): string {
  return `The file guard refused this attempt: ${reason}. Change only the files the subtask lists; undo the other changes (they are kept on the attempt's branch).`;
}
