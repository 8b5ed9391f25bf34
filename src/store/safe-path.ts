// Nothing under .codex/ is written, appended or removed through a symbolic link: a link there may point anywhere
// (a person's files, another repository, /etc), and we write only what we made. Checked with lstat, from .codex/
// itself down to the file, before every write; a link found is refused, naming it, and its target is never touched.
import { closeSync, constants, lstatSync, openSync, readlinkSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { CodexError, ExitCode, errnoCode } from "../errors.js";

/** The first symbolic link on the way from `base` (itself included) down to `target`, or undefined. A missing part ends the walk. */
export function symlinkOnPath(base: string, target: string): string | undefined {
  const relative = path.relative(base, target);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    // Only an id read from a file that slipped past its check can lead here: refuse it, never write there.
    throw new CodexError("E_UNSAFE_PATH", `refused to use ${target}: it is not inside ${base}`, { exitCode: ExitCode.usage });
  }
  let current = base;
  for (const part of ["", ...(relative === "" ? [] : relative.split(path.sep))]) {
    current = path.join(current, part);
    try {
      if (lstatSync(current).isSymbolicLink()) return current;
    } catch (error: unknown) {
      const code = errnoCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw error;
    }
  }
  return undefined;
}

export class SymlinkError extends CodexError {
  readonly link: string;
  constructor(link: string, target: string, what: string) {
    let to = "";
    try {
      to = ` to ${readlinkSync(link)}`;
    } catch {
      // gone meanwhile: the message still names it
    }
    super("E_SYMLINK", `refused to ${what} ${target}: ${link} is a symbolic link${to}`, {
      hint: `codex-crew never writes through a link under .codex/. Replace ${link} with a real ${link === target ? "file" : "folder"} (remove the link; codex-crew makes what it needs), then run again.`,
      exitCode: ExitCode.usage,
    });
    this.name = "SymlinkError";
    this.link = link;
  }
}

/** Throws SymlinkError when a link lies on the way from `base` (the .codex folder) down to `target`. */
export function assertNoSymlink(base: string, target: string, what = "write"): void {
  const link = symlinkOnPath(base, target);
  if (link !== undefined) throw new SymlinkError(link, target, what);
}

function openNoFollow(base: string, file: string, flags: number, what: string): number {
  assertNoSymlink(base, path.dirname(file), what);
  try {
    return openSync(file, flags | constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o666);
  } catch (error: unknown) {
    throw errnoCode(error) === "ELOOP" ? new SymlinkError(file, file, what) : error;
  }
}

/**
 * Opens `file` for appending (created when missing), after checking the folders from `base` down; O_NOFOLLOW makes
 * open itself refuse a link put in the file's place after that check. Returns the descriptor.
 */
export function openForAppend(base: string, file: string, what = "append to"): number {
  return openNoFollow(base, file, constants.O_APPEND, what);
}

/** Writes `file` whole (created or truncated), never through a link (as above). */
export function writeNoFollow(base: string, file: string, text: string): void {
  const fd = openNoFollow(base, file, constants.O_TRUNC, "write");
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Appends `text` in one write(2), so concurrent appenders never interleave within it; never through a link (above). */
export function appendNoFollow(base: string, file: string, text: string): void {
  const fd = openForAppend(base, file);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
