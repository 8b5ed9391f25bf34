// The public, typed API of codex-crew: everything the commands do, importable as a library.
export * from "./errors.js";
export * from "./schema/index.js";
export { parseDuration, tryParseDuration, formatDuration } from "./util/duration.js";
export { canonicalJson, parseJsonText } from "./util/json-text.js";
export { JsonFile, type JsonFileOptions, type UpdateResult } from "./store/json-file.js";
export { withFileLock, type LockOptions } from "./store/file-lock.js";
export { CodexStore, type StoreOptions } from "./store/codex-store.js";
export { codexPaths, inboxPath, type CodexPaths } from "./store/paths.js";
export { appendEvent, readEvents, type EventInput } from "./store/events-log.js";
