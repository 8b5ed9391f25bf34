// What one attempt runs with: the worker's store and config, the attempt's token and assignment, and how to stop.
// Its own file so that the attempt's steps (run-attempt, review-gate) can share it without importing each other.
import type { AttemptToken } from "../ops/fence.js";
import type { Config } from "../schema/config.js";
import type { InboxMessage } from "../schema/inbox.js";
import type { CodexStore } from "../store/codex-store.js";

export interface AttemptContext {
  store: CodexStore;
  config: Config;
  heartbeatMs: number;
  token: AttemptToken;
  message: InboxMessage;
  /** The integration commit to start from (the assignment's, else the task entry's). */
  base: string | undefined;
  stop: AbortSignal;
  log: (line: string) => void;
}
