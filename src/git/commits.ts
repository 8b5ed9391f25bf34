// Commits with trailers (Task:, Attempt:, Worker:): making them in a worktree or from a tree, and reading them back.
import { assertGitArg } from "./git-error.js";
import { worktreeHead } from "./loose-ref.js";
import { runGit } from "./run-git.js";

export type Trailers = Record<string, string>;

export interface Author {
  name: string;
  email: string;
  /** Any date git accepts (ISO-8601, or `<unix seconds> <+hhmm>`). Default: now. */
  date?: string;
}

const TRAILER_KEY = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

const SUBJECT_MAX_CHARS = 200;

/**
 * Text from the plan (a subtask's name) as a commit's one-line subject: line breaks and other control characters
 * become spaces, so nothing in it can start a paragraph that git would read as the commit's trailers.
 */
export function subjectLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > SUBJECT_MAX_CHARS ? `${flat.slice(0, SUBJECT_MAX_CHARS - 1)}…` : flat;
}

function trailerArgs(trailers: Trailers): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(trailers)) {
    if (!TRAILER_KEY.test(key)) throw new RangeError(`invalid trailer key ${JSON.stringify(key)}`);
    if (/[\r\n\0]/.test(value)) throw new RangeError(`trailer ${key} has a line break in its value`);
    args.push("--trailer", `${key}: ${value}`);
  }
  return args;
}

/**
 * `message` followed by a blank line and one `Key: value` line per trailer. Composed here rather than by
 * `git interpret-trailers`: that costs a process per commit, and it glues trailers onto a one-line subject
 * that itself looks like a trailer ("core-add: Add function").
 */
export async function withTrailers(_cwd: string, message: string, trailers: Trailers): Promise<string> {
  const args = trailerArgs(trailers);
  if (args.length === 0) return message;
  const lines = args.filter((_, index) => index % 2 === 1);
  const body = message.trimEnd();
  // A message that already ends in a trailer block (after its subject) gets ours appended to that block.
  const paragraphs = body.split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] ?? "" : "";
  const endsInTrailers = last !== "" && last.split("\n").every((line) => /^[A-Za-z0-9][A-Za-z0-9-]*: /.test(line));
  return `${body}${endsInTrailers ? "\n" : "\n\n"}${lines.join("\n")}`;
}

export interface CommitAllOptions {
  message: string;
  trailers?: Trailers;
  /** Commit even when nothing changed, so every completion has its checkpoint. Default: true. */
  allowEmpty?: boolean;
  author?: Author;
  /** Run the repository's pre-commit and commit-msg hooks. Default: false (the review gate is the check). */
  runHooks?: boolean;
  /**
   * No hook at all (prepare-commit-msg and post-commit too) and no signing: for saving work that a normal
   * commit could not record, so that what is left in a worktree is never lost to a hook or a missing key.
   */
  plain?: boolean;
}

/** Stages everything in the worktree (`add -A`, ignored files excluded), commits it, returns the new commit. */
export async function commitAll(worktree: string, options: CommitAllOptions): Promise<string> {
  const message = await withTrailers(worktree, options.message, options.trailers ?? {});
  await runGit(worktree, ["add", "-A"]);
  const plain = options.plain ? ["-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false"] : [];
  const args = [...plain, "commit", "--quiet", "--no-edit", "--cleanup=whitespace", "-F", "-"];
  if (options.allowEmpty ?? true) args.push("--allow-empty");
  if (!options.runHooks || options.plain) args.push("--no-verify");
  if (options.author !== undefined) {
    args.push(`--author=${options.author.name} <${options.author.email}>`);
    if (options.author.date !== undefined) args.push(`--date=${options.author.date}`);
  }
  await runGit(worktree, args, { input: message });
  return worktreeHead(worktree);
}

export interface CommitTreeOptions {
  tree: string;
  parents: string[];
  message: string;
  trailers?: Trailers;
  /** Copy author name, email and date from this commit (the worker's), so the integration commit credits it. */
  authorFrom?: string;
  /** The author, when the caller already read it (saves the `git log` of `authorFrom`). */
  author?: Author;
}

/** Makes a commit object from a tree without touching any worktree or ref; returns its sha. */
export async function commitTree(cwd: string, options: CommitTreeOptions): Promise<string> {
  assertGitArg(options.tree, "tree");
  const args = ["commit-tree", options.tree];
  for (const parent of options.parents) args.push("-p", assertGitArg(parent, "parent"));
  args.push("-F", "-");
  let env: Record<string, string> | undefined;
  if (options.author !== undefined) {
    env = { GIT_AUTHOR_NAME: options.author.name, GIT_AUTHOR_EMAIL: options.author.email };
    if (options.author.date !== undefined) env.GIT_AUTHOR_DATE = options.author.date;
  } else if (options.authorFrom !== undefined) {
    assertGitArg(options.authorFrom, "commit");
    const out = (await runGit(cwd, ["log", "-1", "--date=raw", "--format=%an%x00%ae%x00%ad", options.authorFrom, "--"])).stdout;
    const [name = "", email = "", date = ""] = out.split("\0");
    env = { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date };
  }
  const message = await withTrailers(cwd, options.message, options.trailers ?? {});
  return (await runGit(cwd, args, { input: message, ...(env ? { env } : {}) })).stdout;
}

/** The trailers of one commit (a key given twice keeps its last value). */
export async function readTrailers(cwd: string, commit: string): Promise<Trailers> {
  assertGitArg(commit, "commit");
  const format = "%(trailers:only,unfold,separator=%x00,key_value_separator=%x1f)";
  const out = (await runGit(cwd, ["log", "-1", `--format=${format}`, commit, "--"])).stdout;
  const trailers: Trailers = {};
  for (const entry of out.split("\0")) {
    const cut = entry.indexOf("\x1f");
    if (cut > 0) trailers[entry.slice(0, cut).trim()] = entry.slice(cut + 1).trim();
  }
  return trailers;
}

export interface TrailerCommit {
  sha: string;
  /** The trailer's value (several occurrences joined with ","). */
  value: string;
  subject: string;
}

/**
 * Every commit reachable from `ref` that carries trailer `key`, newest first.
 * With `firstParent`, only the commits of the branch itself (not those brought in by merges).
 */
export async function commitsWithTrailer(
  cwd: string,
  ref: string,
  key: string,
  options: { firstParent?: boolean } = {},
): Promise<TrailerCommit[]> {
  assertGitArg(ref, "ref");
  if (!TRAILER_KEY.test(key)) throw new RangeError(`invalid trailer key ${JSON.stringify(key)}`);
  const format = `--format=%H%x1f%(trailers:key=${key},valueonly,unfold,separator=%x2c)%x1f%s%x1e`;
  const args = ["log", format, ...(options.firstParent ? ["--first-parent"] : []), ref, "--"];
  const out = (await runGit(cwd, args)).stdout;
  const commits: TrailerCommit[] = [];
  for (const record of out.split("\x1e")) {
    const [sha = "", value = "", subject = ""] = record.replace(/^\n/, "").split("\x1f");
    if (sha !== "" && value.trim() !== "") commits.push({ sha, value: value.trim(), subject });
  }
  return commits;
}
