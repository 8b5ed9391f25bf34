// The task's inbox during an attempt: cancel stops the agent; notes and feedback reach it either through the
// notes file (shell and cli agents, acknowledged once written there) or through the conversation (the openai
// agent takes them before its next call and acknowledges them only then).
import type { LiveMessage } from "../agents/contract.js";
import type { InboxFile, InboxMessage } from "../schema/inbox.js";
import type { CodexStore } from "../store/codex-store.js";
import { appendNoFollow } from "../store/safe-path.js";
import type { AttemptToken } from "../ops/fence.js";
import { notesFile } from "./agent-env.js";

export type StopReason = "cancelled" | "withdrawn" | "stopping";

export async function ack(store: CodexStore, token: AttemptToken, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await store.inbox(token.task).update((inbox) => {
    const now = new Date().toISOString();
    for (const message of inbox.messages) {
      if (ids.includes(message.id) && !message.acked_at) {
        message.acked_at = now;
        message.acked_by = token.worker;
      }
    }
  });
}

const isNote = (message: InboxMessage): boolean => message.kind === "note" || message.kind === "feedback";

/**
 * Handles what arrived: a cancel for this attempt (or for none in particular) stops the agent; notes and
 * feedback go to the notes file when `notesToFile`, else they wait for `takeMessages`. Returns the inbox
 * with this read's acknowledgements applied.
 */
export async function readInbox(
  store: CodexStore,
  token: AttemptToken,
  stopAgent: (reason: StopReason) => void,
  notesToFile: boolean,
): Promise<InboxFile> {
  const inbox = await store.inbox(token.task).read();
  const forUs = (m: InboxMessage): boolean => m.kind === "cancel" && (m.attempt === undefined || m.attempt === token.attempt);
  const pending = inbox.messages.filter((m) => !m.acked_at && (forUs(m) || (notesToFile && isNote(m))));
  if (pending.length === 0) return inbox;
  if (pending.some(forUs)) stopAgent("cancelled");
  const notes = pending
    .filter(isNote)
    .map((m) => `[${m.created_at}] ${m.kind} from ${m.from ?? "someone"}: ${m.text ?? ""}\n`);
  // Never through a link: the notes file is in .codex/notes, and open refuses a link put in its place.
  if (notes.length > 0) appendNoFollow(store.paths.dir, notesFile(store.paths, token), notes.join(""));
  await ack(store, token, pending.map((m) => m.id));
  const now = new Date().toISOString();
  return { ...inbox, messages: inbox.messages.map((m) => (pending.includes(m) ? { ...m, acked_at: now, acked_by: token.worker } : m)) };
}

/** For the openai agent: the notes and feedback not yet taken, and how to acknowledge them once in the conversation. */
export async function takeMessages(store: CodexStore, token: AttemptToken): Promise<{ messages: LiveMessage[]; ack: () => Promise<void> }> {
  const inbox = await store.inbox(token.task).read();
  const pending = inbox.messages.filter((m) => !m.acked_at && isNote(m));
  return {
    messages: pending.map((m) => ({ id: m.id, kind: m.kind, from: m.from ?? "someone", text: m.text ?? "", at: m.created_at })),
    ack: () => ack(store, token, pending.map((m) => m.id)),
  };
}
