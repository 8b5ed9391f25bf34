// The record of an attempt's conversation, `<recordDir>/a<attempt>.jsonl`, so a crash never makes us pay twice:
// each model call is written ("call") before it is made and its answer ("reply") before its tool calls run, both
// fsynced. A later attempt replays the transcript from it instead of asking again.
import { mkdirSync, readFileSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Usage } from "../../schema/common.js";
import { addUsage, emptyUsage } from "../contract.js";
import type { AssistantEntry, Entry } from "./transcript.js";

export type RecordLine =
  /** `next_turn`: in a resumed record, the turn the replayed conversation had reached. */
  | { type: "begin"; task: string; attempt: number; api: string; model: string; resumed_from?: number; next_turn?: number; at: string }
  /**
   * A transcript entry that is not a model reply in this attempt: system, user (prompt, notes: `note_ids`), tool
   * output — or any entry copied from the attempt this one resumes (`replayed`).
   */
  | { type: "entry"; entry: Entry; note_ids?: string[]; replayed?: true }
  /** Written before a call: charged as spent if no reply follows. `input_estimate`: input tokens, roughly. */
  | { type: "call"; turn: number; hash: string; key: string; input_estimate: number; at: string }
  | { type: "reply"; turn: number; hash: string; request_id?: string; entry: AssistantEntry; usage: Usage; at: string; replayed?: true }
  | { type: "end"; outcome: string; at: string };

export function recordFile(recordDir: string, attempt: number): string {
  return path.join(recordDir, `a${attempt}.jsonl`);
}

/** The lines of a record; a torn last line (a crash mid-write) is dropped, a missing file is an empty record. */
export function readRecord(file: string): RecordLine[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const lines: RecordLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed = JSON.parse(line) as RecordLine;
      if (typeof parsed === "object" && parsed !== null && typeof parsed.type === "string") lines.push(parsed);
    } catch {
      // A torn line: only the last can be, as every line is fsynced before the next is written.
    }
  }
  return lines;
}

/**
 * Usage of one attempt from its record: every reply it got itself (replayed ones were charged to the attempt that
 * made them) plus every call that was started and never answered (in flight at a crash), charged as spent with its
 * estimated input. For the worker to charge an attempt that died without reporting.
 */
export function usageOfRecord(recordDir: string, attempt: number, creditsOf?: (usage: Usage) => number): Usage {
  let usage = emptyUsage();
  const answered = new Set<number>();
  const started = new Map<number, number>();
  for (const line of readRecord(recordFile(recordDir, attempt))) {
    if (line.type === "reply" && !line.replayed) {
      usage = addUsage(usage, line.usage);
      answered.add(line.turn);
    } else if (line.type === "call") started.set(line.turn, line.input_estimate);
  }
  for (const [turn, estimate] of started) {
    if (!answered.has(turn)) usage = addUsage(usage, { input_tokens: estimate, calls: 1 });
  }
  return { ...usage, credits: creditsOf?.(usage) ?? usage.credits ?? 0 };
}

export interface Replay {
  entries: Entry[];
  /** The next turn number (turns are numbered over the whole conversation, across attempts). */
  nextTurn: number;
  /** Calls that were in flight (started, never answered): they are made again. */
  inFlight: number;
  /** Notes already in the conversation (not to be added twice when the inbox hands them over again). */
  noteIds: string[];
}

/** The transcript a record holds, in order; tool calls whose outputs were never recorded get an answer saying so. */
export function replayRecord(lines: RecordLine[]): Replay {
  const entries: Entry[] = [];
  let nextTurn = 0;
  const answered = new Set<number>();
  const started = new Set<number>();
  const noteIds: string[] = [];
  for (const line of lines) {
    if (line.type === "begin") nextTurn = Math.max(nextTurn, line.next_turn ?? 0);
    else if (line.type === "entry") {
      entries.push(line.entry);
      noteIds.push(...(line.note_ids ?? []));
    } else if (line.type === "reply") {
      entries.push(line.entry);
      answered.add(line.turn);
      nextTurn = Math.max(nextTurn, line.turn + 1);
    } else if (line.type === "call") started.add(line.turn);
  }
  // Tool calls answered by no recorded output: the crash came while they ran. Their effect may be in the worktree.
  const outputs = new Set(entries.flatMap((entry) => (entry.role === "tool" ? [entry.callId] : [])));
  const last = entries.findLastIndex((entry) => entry.role === "assistant");
  const lastReply = entries[last];
  if (lastReply?.role === "assistant") {
    for (const call of lastReply.toolCalls) {
      if (outputs.has(call.id)) continue;
      entries.push({
        role: "tool",
        callId: call.id,
        output: "error: this call's result was lost when the previous attempt stopped; its effect may or may not be in the worktree — check before repeating it",
      });
    }
  }
  const inFlight = [...started].filter((turn) => !answered.has(turn));
  return { entries, nextTurn: Math.max(nextTurn, ...inFlight.map((turn) => turn + 1)), inFlight: inFlight.length, noteIds };
}

/**
 * Appends lines to an attempt's record. A line written with `sync` (the default) is fsynced, with every line
 * before it, before the promise resolves; the others reach the file at once (a killed process loses nothing) and
 * the disk with the next synced line.
 */
export class RecordWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
  ) {}

  static async open(recordDir: string, attempt: number): Promise<RecordWriter> {
    mkdirSync(recordDir, { recursive: true });
    const file = recordFile(recordDir, attempt);
    return new RecordWriter(await open(file, "a"), file);
  }

  async write(line: RecordLine, options: { sync?: boolean } = {}): Promise<void> {
    await this.handle.write(`${JSON.stringify(line)}\n`);
    if (options.sync !== false) await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
