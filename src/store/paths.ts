// Where everything lives under a repository's .codex/ folder.
import path from "node:path";
import { unsafeIdReasons } from "../plan/id-rules.js";

export interface CodexPaths {
  root: string;
  dir: string;
  features: string;
  progress: string;
  config: string;
  events: string;
  inboxDir: string;
  worktrees: string;
  schemas: string;
  gitignore: string;
}

export function codexPaths(root: string): CodexPaths {
  const dir = path.join(root, ".codex");
  return {
    root,
    dir,
    features: path.join(dir, "features.json"),
    progress: path.join(dir, "progress.json"),
    config: path.join(dir, "config.json"),
    events: path.join(dir, "events.jsonl"),
    inboxDir: path.join(dir, "inbox"),
    worktrees: path.join(dir, "worktrees"),
    schemas: path.join(dir, "schemas"),
    gitignore: path.join(dir, ".gitignore"),
  };
}

/**
 * The worktree of worker `id`, or undefined when the id is not safe as a folder name: ids are read from
 * progress.json (a person's edit, a stale entry), and `../../x` must never become a path.
 */
export function workerWorktree(paths: CodexPaths, id: string): string | undefined {
  return unsafeIdReasons(id).length === 0 ? path.join(paths.worktrees, id) : undefined;
}

export function inboxPath(paths: CodexPaths, task: string): string {
  return path.join(paths.inboxDir, `${task}.json`);
}

/** A path as shown to people: relative to the repository when inside it. */
export function displayPath(paths: CodexPaths, file: string): string {
  const relative = path.relative(paths.root, file);
  return relative && !relative.startsWith("..") ? relative : file;
}
