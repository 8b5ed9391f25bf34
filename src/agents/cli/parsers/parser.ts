// What a cli agent's stdout parser gives: the CLI's own verdict, final message and usage.
import type { Usage } from "../../../schema/common.js";

export interface ParsedRun {
  /** The CLI printed its own end-of-run record (codex turn.completed/turn.failed, a `result` event). */
  sawResult: boolean;
  /** The CLI's own error text when its result says it failed. */
  failure: string | undefined;
  finalMessage: string;
  /** A structured result the CLI checked (claude --json-schema). */
  result?: unknown;
  /** Tokens, calls and cost; credits are added by the agent. */
  usage: Usage;
}

export interface OutputParser {
  /** One line of stdout (without its line break). */
  line(text: string): void;
  finish(): ParsedRun;
}

/** A JSON object from a JSONL line, or undefined for anything else (progress text, a cut line). */
export function jsonLine(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A non-negative integer count, else 0 (CLIs may omit fields). */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
