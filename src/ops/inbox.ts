// Messages to whoever works on a task (.codex/inbox/<task>.json): send, list the pending ones, acknowledge.
import { randomBytes } from "node:crypto";
import { CodexError, ExitCode } from "../errors.js";
import { unsafeIdReasons } from "../plan/id-rules.js";
import type { InboxMessage } from "../schema/inbox.js";
import type { CodexStore } from "../store/codex-store.js";
import { planTaskIds, unknownTaskError } from "./known-tasks.js";

export type MessageKind = InboxMessage["kind"];

export interface SendOptions {
  kind: MessageKind;
  text?: string;
  /** Who sends it: "lead", "person", a worker id. */
  from: string;
  /** The attempt the message is for (an assignment or a cancel); a later attempt ignores it. */
  attempt?: number;
  worker?: string;
}

export interface MessageFilter {
  kind?: MessageKind;
  /** Keep messages for this attempt and messages for no attempt in particular (notes from people). */
  attempt?: number;
  /** Keep messages for this worker and messages for no worker in particular. */
  worker?: string;
}

/** A unique id that sorts by creation time: "m-" + milliseconds in base 36 (fixed width) + random. */
export function newMessageId(now: Date = new Date()): string {
  return `m-${now.getTime().toString(36).padStart(9, "0")}-${randomBytes(4).toString("hex")}`;
}

/** The inbox file name comes from the task id: refuse ids that would escape .codex/inbox/. */
function checkInboxName(task: string): void {
  const reasons = unsafeIdReasons(task);
  if (reasons.length > 0) {
    throw new CodexError("E_UNSAFE_ID", `task id ${JSON.stringify(task)} ${reasons[0] ?? "is unsafe"}; it cannot name an inbox file`, {
      hint: "Rename the task in features.json (codex-lead edit features).",
      exitCode: ExitCode.usage,
    });
  }
}

export async function sendMessage(store: CodexStore, task: string, options: SendOptions): Promise<InboxMessage> {
  const known = new Set(await planTaskIds(store));
  if (!known.has(task)) {
    const progress = await store.progress.read();
    if (!(task in progress.tasks)) throw unknownTaskError(task, [...known, ...Object.keys(progress.tasks)]);
  }
  checkInboxName(task);
  await store.ensureDirs();
  const now = new Date();
  const message: InboxMessage = {
    id: newMessageId(now),
    kind: options.kind,
    from: options.from,
    ...(options.text === undefined ? {} : { text: options.text }),
    ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
    created_at: now.toISOString(),
    acked_at: null,
  };
  await store.inbox(task).update((draft) => {
    draft.messages.push(message);
  });
  await store.event({ type: "inbox.sent", task, by: options.from, data: { id: message.id, kind: message.kind } });
  return message;
}

/** Messages not acknowledged yet, oldest first, matching the filter. A missing inbox has none. */
export async function pendingMessages(store: CodexStore, task: string, filter: MessageFilter = {}): Promise<InboxMessage[]> {
  checkInboxName(task);
  const inbox = await store.inbox(task).read();
  return inbox.messages.filter(
    (message) =>
      (message.acked_at === null || message.acked_at === undefined) &&
      (filter.kind === undefined || message.kind === filter.kind) &&
      (filter.attempt === undefined || message.attempt === undefined || message.attempt === filter.attempt) &&
      (filter.worker === undefined || message.worker === undefined || message.worker === filter.worker),
  );
}

/** Marks the given messages consumed by `by`; returns the ids newly acknowledged (already acked or unknown ids are skipped). */
export async function ackMessages(store: CodexStore, task: string, ids: readonly string[], by: string): Promise<string[]> {
  checkInboxName(task);
  const wanted = new Set(ids);
  await store.ensureDirs();
  let acked: string[] = [];
  await store.inbox(task).update((draft) => {
    // The change may be re-applied on top of a person's save: recompute from the draft each round.
    acked = [];
    const at = new Date().toISOString();
    for (const message of draft.messages) {
      if (!wanted.has(message.id) || (message.acked_at !== null && message.acked_at !== undefined)) continue;
      message.acked_at = at;
      message.acked_by = by;
      acked.push(message.id);
    }
  });
  return acked;
}
