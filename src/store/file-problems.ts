// One of our files that cannot be read or written as it is — a folder in its place, no permission, a value nested
// too deeply to print — said with the file and the fix, never as a crash.
import path from "node:path";
import { CodexError, InvalidFileError, errnoCode } from "../errors.js";
import { canonicalJson, isStackOverflow, TOO_DEEP } from "../util/json-text.js";

/** A folder, or a file we may not read, where one of our files should be: said with the fix, not as a crash. */
export function unreadableFile(label: string, error: unknown): unknown {
  const code = errnoCode(error);
  if (code === "EISDIR") {
    return new CodexError("E_NOT_A_FILE", `${label} is a directory, not a file`, {
      hint: `Move it out of the way (mv ${label} ${label}.bak); \`codex-lead init\` then writes a fresh ${path.basename(label)} (your other files are kept).`,
      cause: error,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new CodexError("E_UNREADABLE_FILE", `${label} cannot be read: permission denied`, {
      hint: `Give your user read and write access to it (ls -l ${label}; chmod u+rw ${label}).`,
      cause: error,
    });
  }
  return error;
}

/** The text we write; a value nested too deeply to print (a person's edit deep inside a free-form field) is named. */
export function canonicalText(label: string, value: unknown, hint: string): string {
  try {
    return canonicalJson(value);
  } catch (error: unknown) {
    if (isStackOverflow(error)) throw new InvalidFileError(label, [TOO_DEEP], hint);
    throw error;
  }
}
