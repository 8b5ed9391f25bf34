// File guardrails: which files an attempt of a subtask may change. The worker checks before it commits; the lead
// checks the commit again before merging, so a worker that skipped its check cannot get a change past it.
import type { Config } from "../schema/config.js";
import type { Subtask } from "../schema/features.js";
import { matchesAny } from "./glob.js";

export interface FileGuard {
  /** Globs every changed file must match; undefined: any file may change. */
  allow: string[] | undefined;
  /** Globs no changed file may match, whatever `allow` says. */
  forbid: string[];
}

/** The guard of a subtask: `files` is an allowlist with `guard.files` in config or `files_only` on the subtask. */
export function fileGuardOf(subtask: Pick<Subtask, "files" | "files_only">, config: Pick<Config, "guard">): FileGuard {
  const allowlist = subtask.files_only ?? config.guard.files;
  return { allow: allowlist ? (subtask.files ?? []) : undefined, forbid: config.guard.forbid };
}

export function guardIsOpen(guard: FileGuard): boolean {
  return guard.allow === undefined && guard.forbid.length === 0;
}

export interface GuardViolation {
  /** Changed files that `guard.forbid` refuses. */
  forbidden: string[];
  /** Changed files outside the subtask's `files`. */
  outside: string[];
}

/** The files the guard refuses, or undefined when every change is allowed. */
export function checkFiles(files: readonly string[], guard: FileGuard): GuardViolation | undefined {
  const forbidden = files.filter((file) => matchesAny(file, guard.forbid));
  const outside = guard.allow === undefined ? [] : files.filter((file) => !forbidden.includes(file) && !matchesAny(file, guard.allow ?? []));
  return forbidden.length === 0 && outside.length === 0 ? undefined : { forbidden, outside };
}

const MAX_NAMED = 20;

function named(files: string[]): string {
  const shown = files.slice(0, MAX_NAMED).join(", ");
  return files.length > MAX_NAMED ? `${shown} and ${files.length - MAX_NAMED} more` : shown;
}

/** One sentence naming the refused files and the rule each breaks, for the attempt's error and the agent's feedback. */
export function describeViolation(violation: GuardViolation, guard: FileGuard): string {
  const parts: string[] = [];
  if (violation.outside.length > 0) {
    parts.push(`changed files outside the subtask's files (${(guard.allow ?? []).join(", ") || "none listed"}): ${named(violation.outside)}`);
  }
  if (violation.forbidden.length > 0) parts.push(`changed files that guard.forbid refuses (${guard.forbid.join(", ")}): ${named(violation.forbidden)}`);
  return parts.join("; ");
}
