// .codex/events.jsonl: append-only audit log. Each event is one write(2) of one line in append mode,
// so concurrent appenders never interleave within a line and no lock is needed. Appended synchronously:
// a line takes microseconds, the three thread-pool round trips of an async append (open, write, close) longer.
import { readFile } from "node:fs/promises";
import type { EventLine } from "../schema/events.js";
import path from "node:path";
import { errnoCode } from "../errors.js";
import { appendNoFollow } from "./safe-path.js";
import { redactSecrets } from "../util/redact.js";

export type EventInput = Omit<EventLine, "ts"> & { ts?: string };

/** Appends one event. A symbolic link from `codexDir` (default: the log's folder) down to the log is refused (SymlinkError). */
export async function appendEvent(file: string, event: EventInput, codexDir?: string): Promise<EventLine> {
  const line: EventLine = { ts: event.ts ?? new Date().toISOString(), ...event };
  // Reasons carry stderr tails: secrets of the environment are not written down.
  const text = JSON.stringify(line, (_key, value: unknown) => (typeof value === "string" ? redactSecrets(value) : value));
  appendNoFollow(codexDir ?? path.dirname(file), file, `${text}\n`);
  return line;
}

/** All events; a line that does not parse (e.g. a torn tail after a crash) is skipped and counted. */
export async function readEvents(file: string): Promise<{ events: EventLine[]; skipped: number }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return { events: [], skipped: 0 };
    throw error;
  }
  // Loaded here, not at the top: appending needs no schema, and most commands never read the log.
  const { EventLine: EventLineSchema } = await import("../schema/events.js");
  const events: EventLine[] = [];
  let skipped = 0;
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    try {
      const checked = EventLineSchema.safeParse(JSON.parse(raw));
      if (checked.success) events.push(checked.data);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}
