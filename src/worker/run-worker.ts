// codex-worker: registers in progress.json, takes assignments from its task's inbox, runs the agent in its own
// worktree, heartbeats, and hands the finished attempt (a commit with trailers) to the lead.
import os from "node:os";
import { InvalidFileError } from "../errors.js";
import { isProcessAlive } from "../agents/shell.js";
import { resolveConfig, type Config } from "../schema/config.js";
import type { InboxMessage } from "../schema/inbox.js";
import { CodexStore } from "../store/codex-store.js";
import { runAttempt } from "./run-attempt.js";
import type { AttemptToken } from "./fence.js";

export interface WorkerOptions {
  root: string;
  id?: string;
  /** The lead that started this worker: when it dies, the worker finishes its task and exits. */
  leadPid?: number;
  /** Exit after one attempt (tests, scripts). */
  once?: boolean;
  heartbeatMs?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runWorker(options: WorkerOptions): Promise<number> {
  const store = new CodexStore(options.root);
  const id = options.id ?? `w${process.pid}`;
  const log = options.log ?? ((line: string) => process.stderr.write(`[${id}] ${line}\n`));
  let config: Config = resolveConfig(await store.config.read());
  const heartbeatMs = options.heartbeatMs ?? config.heartbeatMs;
  const pollMs = Math.max(20, Math.min(200, Math.floor(heartbeatMs / 2)));
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  await register(store, id, options.leadPid);
  await store.event({ type: "worker.started", worker: id, data: { pid: process.pid, host: os.hostname() } });
  let lastBeat = Date.now();
  let attempts = 0;
  try {
    while (!stop.signal.aborted) {
      let assignment: { token: AttemptToken; message: InboxMessage; base: string | undefined } | undefined;
      try {
        const progress = await store.progress.read();
        const me = progress.workers?.[id];
        if (!me) {
          // A person removed our entry: register again rather than work invisibly.
          await register(store, id, options.leadPid);
          continue;
        }
        if (me.status === "stopping") break;
        if (me.task && me.attempt) {
          const token = { task: me.task, attempt: me.attempt, worker: id };
          const task = progress.tasks[me.task];
          if (task?.status === "in_progress" && task.assignee === id && task.attempt === me.attempt) {
            const inbox = await store.inbox(me.task).read();
            const message = inbox.messages.findLast(
              (m) => m.kind === "assignment" && m.attempt === me.attempt && m.worker === id,
            );
            if (message) assignment = { token, message, base: message.base ?? task.base };
          } else {
            // The assignment was withdrawn (blocked, cancelled, reassigned) before we started: go idle.
            await setIdle(store, id, token);
          }
        }
      } catch (error) {
        if (!(error instanceof InvalidFileError)) throw error;
        log(`waiting: ${error.message}`);
        await sleep(Math.max(pollMs, 500));
        continue;
      }
      if (assignment) {
        config = resolveConfig(await store.config.read().catch(() => undefined));
        attempts++;
        await runAttempt({ store, config, heartbeatMs, pollMs, token: assignment.token, message: assignment.message, base: assignment.base, stop: stop.signal, log });
        await setIdle(store, id, assignment.token);
        lastBeat = Date.now();
        if (options.once && attempts >= 1) break;
        continue;
      }
      if (options.leadPid && !isProcessAlive(options.leadPid)) {
        log(`lead ${options.leadPid} is gone and nothing is assigned: exiting`);
        break;
      }
      if (Date.now() - lastBeat >= heartbeatMs) {
        await heartbeat(store, id);
        lastBeat = Date.now();
      }
      await sleep(pollMs);
    }
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await deregister(store, id).catch(() => undefined);
    await store.event({ type: "worker.exited", worker: id }).catch(() => undefined);
  }
  return 0;
}

async function register(store: CodexStore, id: string, leadPid: number | undefined): Promise<void> {
  const now = new Date().toISOString();
  await store.ensureDirs();
  await store.progress.update((progress) => {
    progress.workers ??= {};
    progress.workers[id] = {
      status: "idle",
      task: null,
      attempt: null,
      pid: process.pid,
      host: os.hostname(),
      started_at: now,
      updated_at: now,
      lead_pid: leadPid ?? null,
    };
  });
}

async function heartbeat(store: CodexStore, id: string): Promise<void> {
  await store.progress
    .update((progress) => {
      const me = progress.workers?.[id];
      if (me) me.updated_at = new Date().toISOString();
    })
    .catch((error: unknown) => {
      if (!(error instanceof InvalidFileError)) throw error;
    });
}

/** Back to idle, but only if our entry still points at this attempt (the lead may have moved on). */
async function setIdle(store: CodexStore, id: string, token: AttemptToken): Promise<void> {
  await store.progress.update((progress) => {
    const me = progress.workers?.[id];
    if (!me || me.task !== token.task || me.attempt !== token.attempt) return;
    me.status = "idle";
    me.task = null;
    me.attempt = null;
    me.agent_pid = null;
    me.updated_at = new Date().toISOString();
  });
}

async function deregister(store: CodexStore, id: string): Promise<void> {
  await store.progress.update((progress) => {
    const me = progress.workers?.[id];
    if (!me || me.pid !== process.pid) return;
    me.status = "exited";
    me.task = null;
    me.attempt = null;
    me.agent_pid = null;
    me.updated_at = new Date().toISOString();
  });
}
