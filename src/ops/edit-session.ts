// `codex-lead edit`, like `crontab -e`: a copy in the person's editor with no lock held, validated, then merged under the lock.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { CodexError, ExitCode, InvalidFileError, PlanError } from "../errors.js";
import { planFromText } from "../plan/load-plan.js";
import type { CodexStore } from "../store/codex-store.js";
import { withFileLock } from "../store/file-lock.js";
import type { JsonFile } from "../store/json-file.js";
import { canonicalJson, parseJsonText } from "../util/json-text.js";
import { formatConflicts, jsonEqual, threeWayMerge, type MergeConflict } from "./edit-merge.js";

import { EDIT_TARGETS, type EditTarget } from "./edit-targets.js";

export { EDIT_TARGETS, type EditTarget };

export interface EditIO {
  /** Opens the editor on `file` and resolves once it exits. Default: spawnEditor. */
  openEditor?: (file: string) => Promise<void>;
  /**
   * Asked when the edit is invalid: true to reopen the editor, false to abandon.
   * Leave it out when nobody can answer (not a terminal): the edit is then abandoned.
   */
  askReopen?: (problems: string[]) => Promise<boolean>;
  /** Progress messages for the person. */
  say?: (line: string) => void;
}

export type EditOutcome =
  | { kind: "unchanged"; file: string }
  /** merged: true when others changed the file meanwhile and the person's changes went on top. */
  | { kind: "applied"; file: string; merged: boolean };

/** The edit could not be applied (invalid, conflicting, abandoned); the person's copy is kept at `copy`. */
export class EditNotAppliedError extends CodexError {
  readonly copy: string;
  readonly conflicts: MergeConflict[];
  constructor(code: string, message: string, copy: string, details: string[], hint: string, conflicts: MergeConflict[] = []) {
    super(code, message, { details: [...details, `your edited copy is kept at ${copy}`], hint, exitCode: ExitCode.usage });
    this.name = "EditNotAppliedError";
    this.copy = copy;
    this.conflicts = conflicts;
  }
}

/** The editor people asked for: $VISUAL, then $EDITOR, then vi. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env["VISUAL"]?.trim() || env["EDITOR"]?.trim() || "vi";
}

/**
 * Runs the editor on `file` with the terminal handed over. Like git, the editor value is a shell
 * fragment (it may carry flags, e.g. "code --wait"); the file goes in as "$1", never as code.
 */
export function spawnEditor(file: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const editor = editorCommand(env);
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: "inherit", env });
    child.once("error", (error) =>
      reject(new CodexError("E_EDITOR_FAILED", `could not start the editor "${editor}": ${error.message}`, {
        cause: error,
        exitCode: ExitCode.internal,
        hint: "Set $VISUAL or $EDITOR to an editor that waits until you close the file (e.g. `code --wait`).",
      })),
    );
    child.once("exit", (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      reject(new CodexError("E_EDITOR_FAILED", `the editor "${editor}" ${how}; nothing was changed`, {
        exitCode: ExitCode.internal,
        details: [`your copy is at ${file}`],
        hint: "Run the edit again; set $VISUAL or $EDITOR if the wrong editor opened.",
      }));
    });
  });
}

function problemsOf(error: unknown): string[] | undefined {
  if (error instanceof InvalidFileError) return error.problems;
  if (error instanceof PlanError) return error.problems;
  return undefined;
}

/** Every problem of an edited text (syntax with line/column, schema, and the plan checks for features), or the value. */
async function check(store: CodexStore, target: EditTarget, text: string): Promise<{ value: unknown } | { problems: string[] }> {
  try {
    if (target === "features") {
      await planFromText(store, text);
      const parsed = parseJsonText(text);
      return { value: parsed.ok ? parsed.value : undefined };
    }
    return { value: await fileOf(store, target).parse(text) };
  } catch (error) {
    const problems = problemsOf(error);
    if (problems) return { problems };
    throw error;
  }
}

function fileOf(store: CodexStore, target: EditTarget): JsonFile<unknown> {
  return store[target] as JsonFile<unknown>;
}

/** Opens `.codex/<target>.json` in the editor and applies the person's changes; see EditOutcome and EditNotAppliedError. */
export async function editFile(store: CodexStore, target: EditTarget, io: EditIO = {}): Promise<EditOutcome> {
  const file = fileOf(store, target);
  const say = io.say ?? (() => {});
  const openEditor = io.openEditor ?? ((copy: string) => spawnEditor(copy));
  if (!(await stat(store.paths.dir).catch(() => undefined))?.isDirectory()) {
    throw new CodexError("E_NOT_INITIALIZED", `${store.paths.dir} does not exist`, { hint: "Run `codex-lead init` first." });
  }

  // The base: the file as it is now. A missing progress or config file starts from its empty value;
  // a file that is invalid on disk can still be opened, to fix it.
  const onDisk = await file.readText();
  let baseText: string;
  let base: unknown;
  if (onDisk === null) {
    base = await file.read(); // the empty value, or E_MISSING_FILE for features
    baseText = canonicalJson(base);
  } else {
    baseText = onDisk;
    const checked = await check(store, target, onDisk);
    base = "value" in checked ? checked.value : undefined;
    if ("problems" in checked) say(`note: ${file.label} is invalid right now (${checked.problems[0] ?? "?"}); fix it in the editor`);
  }

  const dir = await mkdtemp(path.join(os.tmpdir(), `codex-edit-${target}-`));
  const copy = path.join(dir, path.basename(file.file));
  await writeFile(copy, baseText, "utf8");

  let mine: unknown;
  for (;;) {
    await openEditor(copy);
    const text = await readFile(copy, "utf8");
    if (text === baseText) {
      await rm(dir, { recursive: true, force: true });
      return { kind: "unchanged", file: file.label };
    }
    const checked = await check(store, target, text);
    if ("value" in checked) {
      mine = checked.value;
      break;
    }
    if (io.askReopen && (await io.askReopen(checked.problems))) continue;
    throw new EditNotAppliedError(
      "E_EDIT_INVALID",
      `your edit of ${file.label} is invalid; nothing was written`,
      copy,
      checked.problems,
      `Fix the copy and run \`codex-lead edit ${target}\` again (the file itself is unchanged).`,
    );
  }
  if (base !== undefined && jsonEqual(base, mine)) {
    await rm(dir, { recursive: true, force: true });
    return { kind: "unchanged", file: file.label };
  }

  const merged = base === undefined ? await replaceInvalid(file, target, baseText, mine, copy) : await mergeOnTop(store, file, target, base, mine, copy);
  await store.event({ type: "file.edited", by: "person", data: { file: file.label, merged } });
  await rm(dir, { recursive: true, force: true });
  return { kind: "applied", file: file.label, merged };
}

class MergeConflictSignal extends Error {
  constructor(readonly conflicts: MergeConflict[]) {
    super("merge conflict");
  }
}

/** Under the lock, on top of whatever is on disk now; nothing is written when a field conflicts. */
async function mergeOnTop(store: CodexStore, file: JsonFile<unknown>, target: EditTarget, base: unknown, mine: unknown, copy: string): Promise<boolean> {
  let merged = false;
  try {
    await file.update(async (theirs) => {
      const result = threeWayMerge(base, mine, theirs);
      if (result.conflicts.length > 0) throw new MergeConflictSignal(result.conflicts);
      merged = !jsonEqual(theirs, base);
      if (target === "features" && merged) {
        // Two valid plans can merge into an invalid one (e.g. a cycle made of one dep from each side).
        await planFromText(store, canonicalJson(result.value));
      }
      return result.value;
    });
  } catch (error) {
    if (error instanceof MergeConflictSignal) {
      throw new EditNotAppliedError(
        "E_EDIT_CONFLICT",
        `your edit of ${file.label} conflicts with changes made meanwhile; nothing was written`,
        copy,
        formatConflicts(error.conflicts),
        `Run \`codex-lead edit ${target}\` again and redo your change on the current file, using the kept copy.`,
        error.conflicts,
      );
    }
    const problems = problemsOf(error) ?? (error instanceof CodexError && error.code === "E_INVALID_CHANGE" ? error.details : undefined);
    if (problems) {
      const invalidOnDisk = error instanceof InvalidFileError && error.file === file.label;
      throw new EditNotAppliedError(
        "E_EDIT_NOT_APPLIED",
        invalidOnDisk
          ? `${file.label} became invalid on disk while you edited; nothing was written`
          : `your edit of ${file.label} merged with the changes made meanwhile would be invalid; nothing was written`,
        copy,
        problems,
        invalidOnDisk
          ? `Fix the file (or run \`codex-lead edit ${target}\`), then redo your change from the kept copy.`
          : `Run \`codex-lead edit ${target}\` again and redo your change on the current file, using the kept copy.`,
      );
    }
    throw error;
  }
  return merged;
}

/** The file was invalid when the copy was made: nothing to merge with, so it is replaced only if nobody touched it since. */
async function replaceInvalid(file: JsonFile<unknown>, target: EditTarget, baseText: string, mine: unknown, copy: string): Promise<boolean> {
  file.assertWritable(); // write-file-atomic would write to a link's target
  await withFileLock(file.file, async () => {
    const now = await file.readText();
    if (now !== baseText) {
      throw new EditNotAppliedError(
        "E_EDIT_CONFLICT",
        `${file.label} was invalid when you opened it and changed on disk while you edited; nothing was written`,
        copy,
        [],
        `Run \`codex-lead edit ${target}\` again and redo your change on the current file, using the kept copy.`,
      );
    }
    await writeFileAtomic(file.file, canonicalJson(mine), { fsync: true });
  });
  return false;
}
