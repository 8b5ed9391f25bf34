// A JSON file under .codex/: validated reads, and locked read-modify-write that never loses a person's unlocked save.
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { CodexError, InvalidFileError, errnoCode } from "../errors.js";
import { canonicalText, unreadableFile } from "./file-problems.js";
import { readRawSync, readUnlocked as readUnlockedRaw, readRaw, type RawSnapshot } from "./raw-read.js";
import { canonicalJson, isStackOverflow, parseJsonText, TOO_DEEP } from "../util/json-text.js";
import { withFileLock } from "./file-lock.js";
import type { FastCheck } from "../schema/fast-check.js";
import { formatSchemaIssues } from "./schema-problems.js";
import { assertNoSymlink } from "./safe-path.js";

export interface JsonFileOptions<T> {
  file: string;
  /** The zod schema, or a function that loads it: then zod is loaded only when a check needs it (see fastCheck). */
  schema: z.ZodType<T> | (() => Promise<z.ZodType<T>>);
  /**
   * A precompiled check of the same schema (src/schema/fast-check.ts). A value it passes is not checked by zod;
   * a value it refuses is, and zod words the problem. It must never pass a value zod refuses.
   */
  fastCheck?: () => Promise<FastCheck | undefined>;
  /** How the file is named in messages, e.g. ".codex/progress.json". */
  label?: string;
  /** The next step named in error messages, e.g. "run `codex-lead edit progress`". */
  fixHint?: string;
  /** Value of a missing file; without it, a missing file is an error. */
  empty?: () => T;
  lockStaleMs?: number;
  lockWaitMs?: number;
  fsync?: boolean;
  /** Told each time a person's save landed between our read and our write and our change was re-applied on top. */
  onConcurrentEdit?: (file: string) => void;
  onLockCompromised?: (error: Error) => void;
  /**
   * Called on every value read before anyone sees it, e.g. to make maps keyed by id prototype-free, so that an id
   * such as `constructor` or `__proto__` is looked up like any other.
   */
  prepare?: (value: T) => void;
  /** The folder (.codex) from which down to the file no symbolic link may lie: writes through one are refused. */
  noSymlinkFrom?: string;
}

export interface UpdateOptions {
  /**
   * Skip checking the new value against the schema. Only for changes that cannot break it (e.g. the lead's
   * mirror, which adds status fields to a validated plan): on a plan of 10,000 subtasks the check costs
   * a quarter of a second.
   */
  trusted?: boolean;
}

export interface UpdateResult<T> {
  value: T;
  changed: boolean;
  /** 1 when nothing interfered; more when a person's save forced re-applying the change. */
  rounds: number;
}

const MAX_ROUNDS = 50;

/** The process umask, read once (process.umask() without an argument only reads it). */
const UMASK = process.umask();

/**
 * True when the file is still exactly what we read. Synchronous on purpose: it runs right before
 * our rename, with nothing else of this process in between. The bytes are compared first (an
 * in-place save within one mtime tick keeps the stat), the stat last: a save by rename after it
 * and before our rename is the one case no userland check can see (it needs renameat2), so the
 * gap between this stat and the rename is kept to a few microseconds.
 */
function unchangedSinceSync(file: string, before: RawSnapshot): boolean {
  try {
    if (before.text === null) {
      statSync(file);
      return false;
    }
    if (readFileSync(file, "utf8") !== before.text) return false;
    const info = statSync(file, { bigint: true });
    return info.ino === before.ino && info.size === before.size && info.mtimeNs === before.mtimeNs;
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return before.text === null;
    throw error;
  }
}

let tempCounter = 0;

/** Writes (and fsyncs) a temp file beside `file`, named like write-file-atomic's (`name.<digits>`), so watchers ignore it alike. */
function writeTemp(file: string, text: string, mode: number | null, fsync: boolean): string {
  tempCounter = (tempCounter + 1) % 1_000_000;
  const temp = `${file}.${process.pid}${String(tempCounter).padStart(6, "0")}`;
  const fd = openSync(temp, "wx", mode ?? 0o666);
  try {
    // Keep the permissions of the file we replace when the umask would change them.
    if (mode !== null && (mode & ~UMASK) !== mode) fchmodSync(fd, mode);
    writeFileSync(fd, text, "utf8");
    if (fsync) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  closeSync(fd);
  return temp;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

export class JsonFile<T> {
  readonly file: string;
  readonly label: string;
  private readonly options: JsonFileOptions<T>;
  /** The last text that passed validation: the same bytes again need only JSON.parse, not the schema. */
  private validatedText: string | undefined;

  constructor(options: JsonFileOptions<T>) {
    this.options = options;
    this.file = options.file;
    this.label = options.label ?? path.basename(options.file);
  }

  private get fixHint(): string {
    return this.options.fixHint ?? `Fix ${this.label} and save it again.`;
  }

  private loadedSchema: Promise<z.ZodType<T>> | undefined;
  private loadedFastCheck: Promise<FastCheck | undefined> | undefined;

  private schema(): Promise<z.ZodType<T>> {
    const source = this.options.schema;
    return (this.loadedSchema ??= typeof source === "function" ? source() : Promise.resolve(source));
  }

  /** Loads what checking needs, so that nothing is imported while the lock is held. */
  private async checkers(): Promise<FastCheck | undefined> {
    const fast = await (this.loadedFastCheck ??= this.options.fastCheck?.() ?? Promise.resolve(undefined));
    if (!fast) await this.schema();
    return fast;
  }

  /** The schema problems of a value, one line each; empty when it is valid. */
  private async problemsOf(value: unknown): Promise<string[]> {
    if ((await this.checkers())?.(value)) return [];
    const schema = await this.schema();
    const checked = schema.safeParse(value, { reportInput: true });
    return checked.success ? [] : formatSchemaIssues(checked.error.issues, schema);
  }

  /** The file as it is on disk; a folder or an unreadable file where the file should be is a named error. */
  private async readUnlocked(): Promise<RawSnapshot> {
    try {
      return await readUnlockedRaw(this.file);
    } catch (error: unknown) {
      throw unreadableFile(this.label, error);
    }
  }

  private readLocked(): RawSnapshot {
    try {
      return readRawSync(this.file);
    } catch (error: unknown) {
      throw unreadableFile(this.label, error);
    }
  }

  private prepared(value: T): T {
    this.options.prepare?.(value);
    return value;
  }

  /** Throws InvalidFileError naming line and column when text is not JSON; returns the parsed value unchecked. */
  parseJson(text: string): unknown {
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      const { line, column, message } = parsed.problem;
      throw new InvalidFileError(this.label, [`line ${line}, column ${column}: ${message}`], this.fixHint);
    }
    return parsed.value;
  }

  /** Parses and validates text; throws InvalidFileError naming line/column or field. */
  async parse(text: string): Promise<T> {
    if (text === this.validatedText) return this.prepared(JSON.parse(text) as T);
    const value = this.parseJson(text);
    let problems: string[];
    try {
      problems = await this.problemsOf(value);
    } catch (error: unknown) {
      // JSON.parse takes any depth; the checks (and everything after them) recurse, and run out of stack.
      if (!isStackOverflow(error)) throw error;
      problems = [TOO_DEEP];
    }
    if (problems.length > 0) throw new InvalidFileError(this.label, problems, this.fixHint);
    this.validatedText = text;
    return this.prepared(value as T);
  }

  /** A value of our own, nobody else holds: parsed from the text, or a copy of the empty value. */
  private async valueOf(snapshot: RawSnapshot): Promise<T> {
    if (snapshot.text !== null) return this.parse(snapshot.text);
    if (this.options.empty) return this.prepared(structuredClone(this.options.empty()));
    throw new CodexError("E_MISSING_FILE", `${this.label} does not exist`, {
      hint: "Run `codex-lead init` in the repository first.",
    });
  }

  /** Throws SymlinkError when the file, or a folder between .codex/ and it, is a symbolic link (checked before the lock is taken). */
  assertWritable(): void {
    if (this.options.noSymlinkFrom !== undefined) assertNoSymlink(this.options.noSymlinkFrom, this.file);
  }

  async exists(): Promise<boolean> {
    return (await this.readUnlocked()).text !== null;
  }

  /** The validated content, without taking the lock (every write is an atomic replace, so a read is never torn). */
  async read(): Promise<T> {
    return this.valueOf(await this.readUnlocked());
  }

  /** The raw text as it is on disk, or null when missing. */
  async readText(): Promise<string | null> {
    return (await this.readUnlocked()).text;
  }

  /**
   * Locked read-modify-write. `mutate` gets a fresh copy and may be called again on top of a
   * person's newer save, so it must derive its change from what it is given. Throws
   * InvalidFileError (and writes nothing) while the file on disk is invalid.
   */
  async update(mutate: (draft: T) => T | void | Promise<T | void>, options: UpdateOptions = {}): Promise<UpdateResult<T>> {
    this.assertWritable();
    await this.checkers();
    return withFileLock(
      this.file,
      async () => {
        for (let round = 1; round <= MAX_ROUNDS; round++) {
          const before = this.readLocked();
          // Freshly parsed, so mutate may change it in place: no copy under the lock (18 ms on 10,000 tasks).
          const draft = await this.valueOf(before);
          const returned = await mutate(draft);
          const next = returned === undefined ? draft : returned;
          const problems = options.trusted ? [] : await this.problemsOf(next);
          if (problems.length > 0) {
            throw new CodexError("E_INVALID_CHANGE", `refused to write ${this.label}: the change would make it invalid`, {
              details: problems,
            });
          }
          const text = canonicalText(this.label, next, this.fixHint);
          if (text === before.text) return { value: next, changed: false, rounds: round };
          // The slow part (write, fsync) goes to a temp file first; then, synchronously, the check that
          // no person saved since our read and the atomic rename, back to back. When a person did
          // save, our change is re-applied on top of theirs.
          const temp = writeTemp(this.file, text, before.text === null ? null : before.mode, this.options.fsync ?? true);
          let renamed = false;
          try {
            if (unchangedSinceSync(this.file, before)) {
              renameSync(temp, this.file);
              renamed = true;
            }
          } finally {
            if (!renamed) removeQuietly(temp);
          }
          if (!renamed) {
            this.options.onConcurrentEdit?.(this.file);
            continue;
          }
          this.validatedText = text;
          return { value: next, changed: true, rounds: round };
        }
        throw new CodexError("E_CONTENDED", `${this.label} kept changing under us ${MAX_ROUNDS} times in a row`, {
          hint: "Something is rewriting the file continuously; stop it and try again.",
          exitCode: 5,
        });
      },
      {
        staleMs: this.options.lockStaleMs,
        waitMs: this.options.lockWaitMs,
        onCompromised: this.options.onLockCompromised,
      },
    );
  }

  /** Writes a whole value (under the lock) only if the file does not exist yet. Returns whether it wrote. */
  async createIfMissing(value: T): Promise<boolean> {
    this.assertWritable();
    let created = false;
    await withFileLock(this.file, async () => {
      const before = await readRaw(this.file);
      if (before.text !== null) return;
      // Loaded here: the only use of write-file-atomic in the store, and read-only commands never get here.
      const { default: writeFileAtomic } = await import("write-file-atomic");
      await writeFileAtomic(this.file, canonicalJson(value), { fsync: this.options.fsync ?? true });
      created = true;
    }, { staleMs: this.options.lockStaleMs, waitMs: this.options.lockWaitMs, onCompromised: this.options.onLockCompromised });
    return created;
  }
}
