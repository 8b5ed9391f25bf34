// Opens the .codex/ files of one repository with their schemas, labels and fix hints.
import { mkdir } from "node:fs/promises";
import { ConfigFile, resolveConfig, type Config } from "../schema/config.js";
import { FeaturesFile } from "../schema/features.js";
import { InboxFile } from "../schema/inbox.js";
import { ProgressFile, emptyProgress } from "../schema/progress.js";
import { appendEvent, type EventInput } from "./events-log.js";
import { JsonFile, type JsonFileOptions } from "./json-file.js";
import { codexPaths, displayPath, inboxPath, type CodexPaths } from "./paths.js";

export interface StoreOptions {
  lockStaleMs?: number;
  lockWaitMs?: number;
  fsync?: boolean;
  onConcurrentEdit?: (file: string) => void;
  onLockCompromised?: (error: Error) => void;
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
    this.features = this.open(this.paths.features, FeaturesFile, "features", undefined);
    this.progress = this.open(this.paths.progress, ProgressFile, "progress", emptyProgress);
    this.config = this.open(this.paths.config, ConfigFile, "config", () => ({}));
  }

  private open<T>(file: string, schema: JsonFileOptions<T>["schema"], editName: string, empty: (() => T) | undefined): JsonFile<T> {
    return new JsonFile<T>({
      file,
      schema,
      label: displayPath(this.paths, file),
      fixHint: `Fix the file in your editor or run \`codex-lead edit ${editName}\`; nothing is written to it until it is valid.`,
      empty,
      ...this.options,
    });
  }

  inbox(task: string): JsonFile<InboxFile> {
    return new JsonFile<InboxFile>({
      file: inboxPath(this.paths, task),
      schema: InboxFile,
      label: displayPath(this.paths, inboxPath(this.paths, task)),
      fixHint: "Fix the inbox file in your editor; nothing is written to it until it is valid.",
      empty: () => ({ $schema: "../schemas/inbox.schema.json", task, messages: [] }),
      ...this.options,
    });
  }

  async ensureDirs(): Promise<void> {
    await mkdir(this.paths.inboxDir, { recursive: true });
  }

  async resolvedConfig(): Promise<Config> {
    return resolveConfig(await this.config.read());
  }

  async event(event: EventInput): Promise<void> {
    await appendEvent(this.paths.events, event);
  }
}
