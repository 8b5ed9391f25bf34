// .codex/inbox/<task>.json: messages to whoever works on the task. Each has an id and is acknowledged once consumed.
// Checked by a precompiled JSON Schema check first (fast-check.ts): keep every rule expressible in JSON Schema.
import { z } from "zod";
import { Timestamp } from "./common.js";

export const MESSAGE_KINDS = ["assignment", "note", "feedback", "cancel"] as const;

export const InboxMessage = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(MESSAGE_KINDS),
  from: z.string().optional().describe('who sent it: "lead", "person", a worker id'),
  text: z.string().optional(),
  attempt: z.number().int().nonnegative().optional().describe("the attempt the message is for (assignment, cancel)"),
  worker: z.string().optional().describe("for an assignment: the worker it is for"),
  base: z.string().optional().describe("for an assignment: the integration commit to start from"),
  created_at: Timestamp,
  acked_at: Timestamp.nullable().optional().describe("when the worker consumed it"),
  acked_by: z.string().optional(),
});
export type InboxMessage = z.infer<typeof InboxMessage>;

export const InboxFile = z.strictObject({
  $schema: z.string().optional(),
  task: z.string(),
  messages: z.array(InboxMessage),
});
export type InboxFile = z.infer<typeof InboxFile>;
