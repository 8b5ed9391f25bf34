// A model call whose answer is JSON matching a schema, for the planner and the reviewer: same endpoint, key and
// retry loop as the agent; the answer is checked locally (compatible servers ignore `strict`), and a wrong answer
// is shown to the model with the problems for another try.
import type { OpenAIProfile } from "../../schema/config.js";
import type { Usage } from "../../schema/common.js";
import { addUsage, emptyUsage } from "../contract.js";
import { callModel, connect, modelOptions } from "./client.js";
import { ModelCallError } from "./retry.js";
import { schemaProblems } from "./schema-check.js";
import { buildRequest, type Entry } from "./transcript.js";

export interface StructuredCallOptions {
  profile: OpenAIProfile;
  /** For messages ("agent profile <name> …"). */
  profileName?: string;
  /** Where the key and OPENAI_BASE_URL are looked up (default process.env). */
  env?: Record<string, string | undefined>;
  system: string;
  user: string;
  /** JSON Schema (draft 2020-12) of the answer; an object schema for the Responses API. */
  schema: Record<string, unknown>;
  /** Name of the schema for the API (letters, digits, _ and -). */
  schemaName: string;
  signal?: AbortSignal;
  /** Further tries after an answer that is not JSON or breaks the schema (default 2). */
  repairs?: number;
  /** Sent as Idempotency-Key with a `:<try>` suffix. */
  idempotencyKey?: string;
  /** Credits of a usage (the result's usage.credits); none when absent. */
  creditsOf?: (usage: Usage) => number;
  onRetry?: (info: { retry: number; delayMs: number; error: string }) => void;
}

export interface StructuredCallResult<T = unknown> {
  value: T;
  /** Summed over every call made, repairs included. */
  usage: Usage;
  /** The answer's raw text. */
  text: string;
}

/**
 * Asks for a JSON answer matching `schema`. Throws ModelCallError: kind "config" (no key, bad profile) before
 * any call, "cancelled" on abort, "failed" when the server refuses or no valid answer came (its `usage` then says
 * what was spent: `error.usage`).
 */
export async function structuredCall<T = unknown>(options: StructuredCallOptions): Promise<StructuredCallResult<T>> {
  const made = connect(options.profile, options.env ?? process.env, options.profileName);
  if (!made.ok) throw new ModelCallError("config", made.reason);
  const { connection } = made;
  const signal = options.signal ?? new AbortController().signal;
  const entries: Entry[] = [
    { role: "system", text: options.system },
    { role: "user", text: options.user },
  ];
  let usage = emptyUsage();
  const withCredits = (): Usage => ({ ...usage, credits: options.creditsOf?.(usage) ?? 0 });
  const tries = 1 + (options.repairs ?? 2);
  let problem = "";
  for (let n = 0; n < tries; n++) {
    const body = buildRequest(connection.api, entries, {
      ...modelOptions(connection),
      format: { name: options.schemaName, schema: options.schema },
    });
    let reply;
    try {
      reply = await callModel(connection, body, {
        signal,
        ...(options.idempotencyKey !== undefined && { idempotencyKey: `${options.idempotencyKey}:${n}` }),
        ...(options.onRetry && { onRetry: options.onRetry }),
      });
    } catch (error: unknown) {
      if (error instanceof ModelCallError) error.usage = withCredits();
      throw error;
    }
    usage = addUsage(usage, reply.usage);
    const text = reply.entry.text.trim();
    let value: unknown;
    try {
      value = JSON.parse(stripFence(text));
    } catch {
      problem = `the answer is not JSON: ${text.slice(0, 200)}`;
      entries.push(reply.entry, { role: "user", text: `Your answer was not valid JSON. Answer again with only the JSON value matching the schema ${options.schemaName}.` });
      continue;
    }
    const problems = schemaProblems(options.schema, value);
    if (problems === undefined) return { value: value as T, usage: withCredits(), text };
    problem = `the answer does not match the schema: ${problems}`;
    entries.push(reply.entry, {
      role: "user",
      text: `Your answer does not match the schema ${options.schemaName}: ${problems}. Answer again with only the corrected JSON.`,
    });
  }
  const error = new ModelCallError("failed", `no valid structured answer after ${tries} tries: ${problem}`);
  error.usage = withCredits();
  throw error;
}

/** Models often wrap JSON in a ```json fence even when asked not to. */
export function stripFence(text: string): string {
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(text);
  return fenced?.[1] ?? text;
}
