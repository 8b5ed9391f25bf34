// Tells when a file of a folder is replaced or written, by watching the folder itself (inotify reports names
// without stat-ing anything). The store's Wake follows progress.json with chokidar, which re-arms its watch on
// the file after each atomic rename and misses a replacement that lands meanwhile: in a busy run progress.json
// is replaced many times a second, and loops that wait on it sat out their timers (a worker its heartbeat, the
// lead its tick). A watch on the folder cannot lose the file. A hint only: the files stay the truth.
import { watch, type FSWatcher } from "node:fs";

/** Calls `onChange` whenever one of `names` in `dir` changes; returns the function that stops watching. */
export function watchNames(dir: string, names: string[], onChange: () => void): () => void {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, (_event, name) => {
      if (name && names.includes(name)) onChange();
    });
  } catch {
    return () => undefined; // the loops poll regardless
  }
  watcher.on("error", () => undefined);
  return () => watcher.close();
}
