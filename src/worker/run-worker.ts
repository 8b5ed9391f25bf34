// codex-worker: registers in progress.json, takes assignments from its task's inbox, runs the agent in its own
// worktree, heartbeats, and hands the finished attempt (a commit with trailers) to the lead.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CodexError, InvalidFileError, UsageError } from "../errors.js";
import { SAFE_ID_ADVICE, unsafeIdReasons } from "../plan/id-rules.js";
import { isClaimLive, startTimeOf, workerClaim, type ProcessClaim } from "../util/process-identity.js";
import { idleHeartbeatMs, resolveConfig, type Config } from "../schema/config.js";
import type { InboxMessage } from "../schema/inbox.js";
import type { ProgressFile, WorkerState } from "../schema/progress.js";
import { ensureGitIdentity } from "../git/index.js";
import { CodexStore } from "../store/codex-store.js";
import { runAttempt } from "./run-attempt.js";
import { worktreeUnusable } from "./worktree.js";
import type { AttemptToken } from "../ops/fence.js";
import { Wake } from "../store/wake.js";
import { redactSecrets } from "../util/redact.js";

export interface WorkerOptions {
  root: string;
  id?: string;
  /** The lead that started this worker: when it dies, the worker finishes its task and exits. */
  leadPid?: number;
  /** Exit after one attempt (tests, scripts). */
  once?: boolean;
  heartbeatMs?: number;
  /** Renewal interval while no task is assigned (see idleHeartbeatMs in schema/config.ts). */
  idleHeartbeatMs?: number;
  log?: (line: string) => void;
}

interface Assignment {
  token: AttemptToken;
  message: InboxMessage;
  base: string | undefined;
}

export async function runWorker(options: WorkerOptions): Promise<number> {
  const id = options.id ?? `w${process.pid}`;
  // The id names our worktree (.codex/worktrees/<id>) and goes into refs and trailers: checked before any use.
  assertSafeWorkerId(id);
  let config: Config = resolveConfig(await new CodexStore(options.root).config.read());
  const store = new CodexStore(options.root, { lockStaleMs: config.lockStaleMs, fsync: config.fsync });
  const log = options.log ?? ((line: string) => process.stderr.write(`[${id}] ${redactSecrets(line)}\n`));
  const heartbeatMs = options.heartbeatMs ?? config.heartbeatMs;
  const idleBeatMs = Math.max(heartbeatMs, options.idleHeartbeatMs ?? idleHeartbeatMs({ heartbeatMs, stallTimeoutMs: config.stallTimeoutMs }));
  // The lead we follow, as a claim: its start time is taken now, while it is surely the process that started us.
  let lead: ProcessClaim | undefined = options.leadPid ? { pid: options.leadPid, start: startTimeOf(options.leadPid) } : undefined;

  await ensureGitIdentity(options.root); // a worker started by hand in a repository without one
  await register(store, id, lead);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const wake = new Wake(store.paths.dir);
  stop.signal.addEventListener("abort", () => wake.poke());
  await store.event({ type: "worker.started", worker: id, data: { pid: process.pid, host: os.hostname() } });
  let lastBeat = 0;
  let attempts = 0;
  let hintUntil = 0;
  let leadGoneSince: number | undefined;
  const leadGraceMs = Math.max(5000, 5 * heartbeatMs);
  try {
    while (!stop.signal.aborted) {
      // Idle, progress.json is read only on our heartbeat or when an inbox got an assignment for us:
      // with many workers and a large file, re-reading it on every change would cost more than the work.
      const changed = wake.takeChanged();
      // The lead writes the assignment message before progress.json: after a hint, watch progress.json too.
      if (assignmentHinted(store, id, changed)) hintUntil = Date.now() + 5000;
      const hinted = hintUntil > Date.now() && (changed.length === 0 || changed.includes(store.paths.progress) || changed.some((f) => f.startsWith(store.paths.inboxDir)));
      // Idle, a beat renews our entry less often; while our lead is gone, at the busy rate, so that a restarted
      // lead's adoption (our entry naming it) is seen within the grace period below.
      const beatEveryMs = lead && !isClaimLive(lead) ? heartbeatMs : idleBeatMs;
      const beatDue = Date.now() - lastBeat >= beatEveryMs;
      let offer: Offer | undefined;
      if (beatDue) {
        let progress: ProgressFile;
        try {
          // The lead we follow now (an adopting lead replaces the one that started us), should we re-register.
          progress = await heartbeat(store, id, lead);
          lastBeat = Date.now();
        } catch (error: unknown) {
          if (!(error instanceof InvalidFileError)) throw error;
          log(`waiting: ${error.message}`);
          await wake.wait(Math.max(heartbeatMs, 500));
          continue;
        }
        const me = progress.workers?.[id];
        if (me?.status === "stopping") break;
        if (me && me.pid !== process.pid) {
          log(`worker id ${id} now belongs to the live worker with pid ${me.pid}: exiting`);
          break;
        }
        if (lead && me?.lead_pid && me.lead_pid !== lead.pid) {
          log(`adopted by lead ${me.lead_pid}`);
          lead = { pid: me.lead_pid, start: me.lead_start ?? startTimeOf(me.lead_pid) };
        }
        offer = offerIn(progress, id);
        // The assignment was withdrawn (blocked, cancelled, reassigned) before we started: go idle.
        if (me?.task && me.attempt && !offer) await setIdle(store, id, { task: me.task, attempt: me.attempt, worker: id });
      } else if (hinted) {
        // A hint needs only a read: no lock, no write. A file invalid right now waits for the heartbeat.
        offer = offerIn(await readUnlessInvalid(store), id);
      }
      let assignment: Assignment | undefined;
      if (offer) {
        const { token, base } = offer;
        // A person's invalid save of the inbox after the assignment was written: wait for the fix, do not crash.
        const inbox = await store.inbox(token.task).read().catch((error: unknown) => {
          if (!(error instanceof CodexError)) throw error;
          log(`waiting: ${error.message}`);
          return undefined;
        });
        const message = inbox?.messages.findLast((m) => m.kind === "assignment" && m.attempt === token.attempt && m.worker === id);
        if (message) assignment = { token, message, base: message.base ?? base };
        hintUntil = 0;
      }
      if (assignment) {
        // A person's invalid save of config.json mid-run: the attempt runs with the last valid settings (not the
        // defaults, which would drop e.g. a review command), and the worker says so.
        config = await store.config.read().then(resolveConfig, (error: unknown) => {
          log(`using the last valid settings: ${error instanceof Error ? error.message : String(error)}`);
          return config;
        });
        attempts++;
        const idled = await runAttempt({ store, config, heartbeatMs, token: assignment.token, message: assignment.message, base: assignment.base, stop: stop.signal, log });
        if (!idled) await setIdle(store, id, assignment.token);
        // The attempt's own heartbeats and hand-off renewed our entry: no beat is due yet. The next assignment
        // comes with a wake-up (its inbox message), read at once below.
        lastBeat = Date.now();
        if (options.once && attempts >= 1) break;
        // Work git could not commit is left in our worktree, which must not be switched or cleaned: this worker
        // leaves it as it is and exits; the lead starts another worker, in a worktree of its own.
        if (worktreeUnusable(path.join(store.paths.worktrees, id))) {
          log(`exiting: worktree ${path.join(store.paths.worktrees, id)} holds work that could not be committed and is kept as it is`);
          break;
        }
        continue;
      }
      if (lead && !isClaimLive(lead)) {
        // A restarted lead may adopt us (it writes its pid into our entry); give it time before leaving.
        leadGoneSince ??= Date.now();
        if (Date.now() - leadGoneSince > leadGraceMs) {
          log(`lead ${lead.pid} is gone and nothing is assigned: exiting`);
          break;
        }
      } else {
        leadGoneSince = undefined;
      }
      await wake.wait(Math.max(10, beatEveryMs - (Date.now() - lastBeat)));
    }
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await wake.close();
    await deregister(store, id).catch(() => undefined);
    await store.event({ type: "worker.exited", worker: id }).catch(() => undefined);
  }
  return 0;
}

interface Offer {
  token: AttemptToken;
  base: string | undefined;
}

/** Our assignment, when progress.json gives us one: our entry and the task's agree. */
function offerIn(progress: ProgressFile | undefined, id: string): Offer | undefined {
  const me = progress?.workers?.[id];
  // A task id becomes file names (inbox, notes) and a branch: one a person's edit made unsafe is never taken.
  if (!me?.task || !me.attempt || unsafeIdReasons(me.task).length > 0) return undefined;
  const task = progress?.tasks[me.task];
  if (task?.status !== "in_progress" || task.assignee !== id || task.attempt !== me.attempt) return undefined;
  return { token: { task: me.task, attempt: me.attempt, worker: id }, base: task.base };
}

/** progress.json, or undefined while a person's save leaves it invalid (the heartbeat reports that). */
async function readUnlessInvalid(store: CodexStore): Promise<ProgressFile | undefined> {
  try {
    return await store.progress.read();
  } catch (error: unknown) {
    if (error instanceof InvalidFileError) return undefined;
    throw error;
  }
}

/**
 * Whether a changed inbox file holds an unacknowledged assignment for this worker. Only a new one counts: the inbox
 * of the task we just finished holds our own acknowledged assignment, and taking that for a hint would have us
 * re-read all of progress.json on every change for seconds after each attempt.
 */
function assignmentHinted(store: CodexStore, id: string, changed: string[]): boolean {
  for (const file of changed) {
    if (path.dirname(file) !== store.paths.inboxDir || !file.endsWith(".json")) continue;
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // gone meanwhile: no hint
    }
    // A cheap textual test first; the real check is against progress.json.
    if (!text.includes(`"worker": "${id}"`) || !text.includes('"assignment"')) continue;
    if (unackedAssignmentFor(text, id)) return true;
  }
  return false;
}

function unackedAssignmentFor(text: string, id: string): boolean {
  let inbox: unknown;
  try {
    inbox = JSON.parse(text);
  } catch {
    return true; // a person's save mid-way: let the read decide
  }
  const messages = (inbox as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return true;
  return messages.some((m: { kind?: unknown; worker?: unknown; acked_at?: unknown } | null) => m?.kind === "assignment" && m.worker === id && !m.acked_at);
}

/** Our entry as a worker that just joined (or re-joins after a person removed it). */
function freshEntry(lead: ProcessClaim | undefined, now: string): WorkerState {
  return {
    status: "idle",
    task: null,
    attempt: null,
    pid: process.pid,
    pid_start: startTimeOf(process.pid),
    host: os.hostname(),
    started_at: now,
    updated_at: now,
    lead_pid: lead?.pid ?? null,
    lead_start: lead?.start ?? null,
  };
}

function assertSafeWorkerId(id: string): void {
  const reasons = unsafeIdReasons(id);
  if (reasons.length === 0) return;
  throw new UsageError(`worker id ${JSON.stringify(id)} cannot be used: it ${reasons.join(", ")}`, `It names the worker's folder and git branch: ${SAFE_ID_ADVICE}, e.g. --id w1.`);
}

/** Registers us under `id`, unless a live worker (its identity checked) already has that id: two would share a worktree. */
async function register(store: CodexStore, id: string, lead: ProcessClaim | undefined): Promise<void> {
  await store.ensureDirs();
  await store.progress.update((progress) => {
    progress.workers ??= Object.create(null) as NonNullable<ProgressFile["workers"]>; // ids are keys: no prototype
    const other = progress.workers[id];
    if (other && other.status !== "exited" && other.pid !== process.pid && other.host === os.hostname() && isClaimLive(workerClaim(other))) {
      throw new UsageError(`worker id ${id} is taken by a live worker (pid ${other.pid})`, "Give this worker another --id, or stop the other one first.");
    }
    progress.workers[id] = freshEntry(lead, new Date().toISOString());
  });
}

/** Renews our lease (re-registering if a person removed our entry) and returns what the file says now. */
async function heartbeat(store: CodexStore, id: string, lead: ProcessClaim | undefined): Promise<ProgressFile> {
  const { value } = await store.progress.update((progress) => {
    const now = new Date().toISOString();
    progress.workers ??= Object.create(null) as NonNullable<ProgressFile["workers"]>; // ids are keys: no prototype
    const me = progress.workers[id];
    if (me?.pid === process.pid) me.updated_at = now;
    // A live worker that took over our id (after our entry was judged dead) keeps it: we leave (see the loop).
    else if (!me || me.host !== os.hostname() || !isClaimLive(workerClaim(me))) progress.workers[id] = freshEntry(lead, now);
  });
  return value;
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
