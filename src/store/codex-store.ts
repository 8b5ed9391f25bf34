// Opens the .codex/ files of one repository with their schemas, labels and fix hints.
// The zod schemas are loaded on first need, not at import: a command that only reads progress.json
// (status on 10,000 tasks) checks it with the precompiled check and never loads zod.
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Config, ConfigFile } from "../schema/config.js";
import { emptyProgress } from "../schema/empty-files.js";
import { fastCheck } from "../schema/fast-check.js";
import type { FeaturesFile } from "../schema/features.js";
import type { InboxFile } from "../schema/inbox.js";
import type { ProgressFile } from "../schema/progress.js";
import { appendEvent, type EventInput } from "./events-log.js";
import { clearDeadHolderLock } from "./file-lock.js";
import { JsonFile, type JsonFileOptions } from "./json-file.js";
import { codexPaths, displayPath, inboxPath, type CodexPaths } from "./paths.js";
import { assertNoSymlink } from "./safe-path.js";
import { CodexError } from "../errors.js";
import { SAFE_ID_ADVICE, unsafeIdReasons } from "../plan/id-rules.js";

/** The folders under .codex/ that runs write in. */
const WRITTEN_FOLDERS = ["inbox", "worktrees", "logs", "notes", "bin", "cache", "agents", "jobs"] as const;

export interface StoreOptions {
  lockStaleMs?: number;
  lockWaitMs?: number;
  fsync?: boolean;
  onConcurrentEdit?: (file: string) => void;
  onLockCompromised?: (error: Error) => void;
}

/**
 * Tasks and workers are maps keyed by id. Without a prototype, `tasks["constructor"]` is the task of that id (or
 * undefined), never Object's constructor, and `tasks["__proto__"] = …` adds a task instead of changing the map.
 */
function idMapsWithoutPrototype(progress: ProgressFile): void {
  Object.setPrototypeOf(progress.tasks, null);
  if (progress.workers) Object.setPrototypeOf(progress.workers, null);
}

export class CodexStore {
  readonly paths: CodexPaths;
  readonly features: JsonFile<FeaturesFile>;
  readonly progress: JsonFile<ProgressFile>;
  readonly config: JsonFile<ConfigFile>;
  private readonly options: StoreOptions;

  constructor(root: string, options: StoreOptions = {}) {
    this.paths = codexPaths(root);
    this.options = options;
    this.features = this.open(this.paths.features, async () => (await import("../schema/features.js")).FeaturesFile, "features", undefined);
    this.progress = this.open(this.paths.progress, async () => (await import("../schema/progress.js")).ProgressFile, "progress", emptyProgress, () =>
      fastCheck("progress"),
    idMapsWithoutPrototype);
    this.config = this.open(this.paths.config, async () => (await import("../schema/config.js")).ConfigFile, "config", () => ({}));
  }

  private open<T>(
    file: string,
    schema: JsonFileOptions<T>["schema"],
    editName: string,
    empty: (() => T) | undefined,
    fast?: JsonFileOptions<T>["fastCheck"],
    prepare?: (value: T) => void,
  ): JsonFile<T> {
    return new JsonFile<T>({
      file,
      schema,
      fastCheck: fast,
      prepare,
      label: displayPath(this.paths, file),
      fixHint: `Fix the file in your editor or run \`codex-lead edit ${editName}\`; nothing is written to it until it is valid.`,
      empty,
      noSymlinkFrom: this.paths.dir,
      ...this.options,
    });
  }

  /** The inbox of `task`; an id unsafe as a file name (read from a file, never checked) is refused. */
  inbox(task: string): JsonFile<InboxFile> {
    const unsafe = unsafeIdReasons(task);
    if (unsafe.length > 0) throw new CodexError("E_UNSAFE_ID", `task id ${JSON.stringify(task)} cannot name an inbox: it ${unsafe.join(", ")}`, { hint: `Task ids ${SAFE_ID_ADVICE}.` });
    return new JsonFile<InboxFile>({
      file: inboxPath(this.paths, task),
      schema: async () => (await import("../schema/inbox.js")).InboxFile,
      fastCheck: () => fastCheck("inbox"),
      label: displayPath(this.paths, inboxPath(this.paths, task)),
      fixHint: "Fix the inbox file in your editor; nothing is written to it until it is valid.",
      empty: () => ({ $schema: "../schemas/inbox.schema.json", task, messages: [] }),
      noSymlinkFrom: this.paths.dir,
      ...this.options,
    });
  }

  /**
   * Makes the inbox folder, after checking that none of the folders a run writes in is a symbolic link: a run
   * refuses at its start, naming the link, rather than failing attempt after attempt.
   */
  async ensureDirs(): Promise<void> {
    for (const name of WRITTEN_FOLDERS) assertNoSymlink(this.paths.dir, path.join(this.paths.dir, name), "use");
    this.makeDir(this.paths.inboxDir);
  }

  /** Creates a folder under .codex/ (and those above it), refusing to go through a symbolic link. */
  makeDir(dir: string): void {
    assertNoSymlink(this.paths.dir, dir, "create");
    mkdirSync(dir, { recursive: true });
  }

  /** Throws SymlinkError when a link lies between .codex/ and `file` (the file included). */
  assertWritable(file: string, what = "write"): void {
    assertNoSymlink(this.paths.dir, file, what);
  }

  async resolvedConfig(): Promise<Config> {
    const { resolveConfig } = await import("../schema/config.js");
    return resolveConfig(await this.config.read());
  }

  /**
   * Removes the locks that processes of this host died holding (a worker SIGKILLed in the middle of a write):
   * the next writer would take them over anyway, but a finished run leaves none behind. Returns the files.
   */
  clearDeadLocks(): string[] {
    const files = [this.paths.features, this.paths.progress, this.paths.config];
    try {
      for (const name of readdirSync(this.paths.inboxDir)) {
        if (name.endsWith(".json.lock")) files.push(path.join(this.paths.inboxDir, name.slice(0, -".lock".length)));
      }
    } catch {
      // No inbox folder: no inbox locks.
    }
    return files.filter((file) => clearDeadHolderLock(file));
  }

  async event(event: EventInput): Promise<void> {
    await appendEvent(this.paths.events, event, this.paths.dir);
  }
}
