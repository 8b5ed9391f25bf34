// .codex/events.jsonl: one JSON object per line, appended by everyone; an audit log of every transition.
import { z } from "zod";
import { Timestamp } from "./common.js";

export const EventLine = z.object({
  ts: Timestamp,
  type: z.string().min(1).describe('what happened: "task.status", "worker.started", "stale_token_refused", …'),
  task: z.string().optional(),
  attempt: z.number().int().nonnegative().optional(),
  worker: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  reason: z.string().optional(),
  by: z.string().optional().describe('who caused it: "lead", a worker id, "person", a command'),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type EventLine = z.infer<typeof EventLine>;
