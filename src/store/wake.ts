// Wakes a polling loop early when a .codex/ JSON file or an inbox changes. A hint only: loops poll regardless.
import { mkdirSync, watch, type FSWatcher as FSWatcher_ } from "node:fs";
import path from "node:path";
import chokidar, { type FSWatcher } from "chokidar";

export class Wake {
  private readonly watcher: FSWatcher;
  private pending: (() => void) | undefined;
  private dirty = false;
  private readonly changed = new Set<string>();
  private readonly inbox: FSWatcher_ | undefined;
  private readonly folder: FSWatcher_ | undefined;

  constructor(dir: string) {
    // chokidar for the files people edit (it follows editors' rename-saves), named one by one: watching the
    // directory would make it re-read and lstat every entry on each atomic rename, dozens of times a second.
    const names = ["features.json", "progress.json", "config.json"];
    this.watcher = chokidar.watch(
      names.map((name) => path.join(dir, name)),
      { ignoreInitial: true },
    );
    this.watcher.on("all", (_event: string, file: string) => this.saw(file));
    this.watcher.on("error", () => undefined);
    // And plain inotify on the folder for the same names: chokidar re-arms its watch on a file after each atomic
    // rename and misses a replacement that lands meanwhile (half of 20 quick ones in test/wake.test.ts), while
    // in a busy run progress.json is replaced many times a second and the loops would sit out their timers.
    this.folder = watchFolder(dir, (name) => {
      if (names.includes(name)) this.saw(path.join(dir, name));
    });
    // The inbox folder holds a file per task: plain inotify, which reports names without stat-ing anything.
    try {
      mkdirSync(path.join(dir, "inbox"), { recursive: true });
    } catch {
      // Then the watch below fails too, and polling covers it.
    }
    this.inbox = watchFolder(path.join(dir, "inbox"), (name) => {
      if (name.endsWith(".json")) this.saw(path.join(dir, "inbox", name));
    });
  }

  private saw(file: string): void {
    this.changed.add(file);
    this.poke();
  }

  poke(): void {
    this.dirty = true;
    this.pending?.();
  }

  /** The paths that changed since the last call. */
  takeChanged(): string[] {
    const files = [...this.changed];
    this.changed.clear();
    return files;
  }

  /** Resolves after `ms`, or as soon as a change is seen (at once if one was seen since the last wait). */
  wait(ms: number): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.pending = undefined;
        self.dirty = false;
        resolve();
      }
      this.pending = done;
    });
  }

  async close(): Promise<void> {
    this.pending?.();
    this.inbox?.close();
    this.folder?.close();
    await this.watcher.close().catch(() => undefined);
  }
}

/** fs.watch on a folder, told each changed name; undefined when the folder cannot be watched (loops poll anyway). */
function watchFolder(dir: string, onName: (name: string) => void): FSWatcher_ | undefined {
  try {
    const watcher = watch(dir, (_event, name) => {
      if (name) onName(name);
    });
    watcher.on("error", () => undefined);
    return watcher;
  } catch {
    return undefined;
  }
}
