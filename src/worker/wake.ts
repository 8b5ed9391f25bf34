// Wakes a polling loop early when something in .codex/ changes (a hint only: the loop polls regardless).
import chokidar, { type FSWatcher } from "chokidar";
import { LOCK_FILES } from "../store/paths.js";

export class Wake {
  private readonly watcher: FSWatcher;
  private pending: (() => void) | undefined;
  private dirty = false;
  private readonly changed = new Set<string>();

  constructor(dir: string) {
    this.watcher = chokidar.watch(dir, { ignoreInitial: true, depth: 1, ignored: (file: string) => LOCK_FILES.test(file) || file.includes("/worktrees") || file.includes("/logs") });
    this.watcher.on("all", (_event: string, file: string) => {
      this.changed.add(file);
      this.poke();
    });
    this.watcher.on("error", () => undefined);
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
    await this.watcher.close().catch(() => undefined);
  }
}
