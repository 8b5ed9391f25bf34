// One model call on the official `openai` SDK against any OpenAI-compatible endpoint: which endpoint, key and API a
// profile means, and a call with our retry loop (the SDK's own retries off), a per-call timeout and extra headers.
import type OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { ResponseCreateParamsNonStreaming } from "openai/resources/responses/responses";
import type { OpenAIProfile } from "../../schema/config.js";
import type { Usage } from "../../schema/common.js";
import { tryParseDuration } from "../../util/duration.js";
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from "./retry.js";
import { sdk } from "./sdk.js";
import { parseReply, type Api, type AssistantEntry, type RequestOptions } from "./transcript.js";

export const DEFAULT_MODEL = "gpt-5.5";
export const DEFAULT_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;

export interface Connection {
  client: OpenAI;
  api: Api;
  model: string;
  baseURL: string;
  /** Limit of one model call (one try). */
  callTimeoutMs: number;
  retry: RetryPolicy;
  temperature: number | undefined;
  reasoning: Record<string, unknown> | undefined;
  /** Responses on OpenAI itself, or with `reasoning` set: carry the encrypted reasoning from call to call. */
  keepReasoning: boolean;
}

/** The request fields every call of a connection carries. */
export function modelOptions(connection: Connection): Pick<RequestOptions, "model" | "temperature" | "reasoning" | "keepReasoning"> {
  return {
    model: connection.model,
    temperature: connection.temperature,
    reasoning: connection.reasoning,
    keepReasoning: connection.keepReasoning,
  };
}

/** Auto: the Responses API on OpenAI itself, Chat Completions (which every compatible server serves) elsewhere. */
export function chooseApi(setting: OpenAIProfile["api"], baseURL: string): Api {
  if (setting === "responses" || setting === "chat") return setting;
  try {
    return new URL(baseURL).hostname === "api.openai.com" ? "responses" : "chat";
  } catch {
    return "chat";
  }
}

/**
 * The connection a profile describes, or the reason it cannot be made (no key, a bad URL or timeout), found
 * before any call. `env` is searched for the key and OPENAI_BASE_URL (pass process.env merged with the agent's).
 */
export function connect(
  profile: OpenAIProfile,
  env: Record<string, string | undefined>,
  profileName = "openai",
): { ok: true; connection: Connection } | { ok: false; reason: string } {
  const keyVar = profile.api_key_env ?? "OPENAI_API_KEY";
  const apiKey = env[keyVar];
  if (apiKey === undefined || apiKey === "") {
    return {
      ok: false,
      reason: `agent profile "${profileName}" needs an API key in $${keyVar}: set it (any value for a local server), or name another variable with "api_key_env"`,
    };
  }
  const baseURL = profile.base_url ?? (env.OPENAI_BASE_URL || undefined) ?? DEFAULT_BASE_URL;
  try {
    const url = new URL(baseURL);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    return { ok: false, reason: `agent profile "${profileName}": base_url "${baseURL}" is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)` };
  }
  const callTimeoutMs = profile.timeout === undefined ? DEFAULT_CALL_TIMEOUT_MS : tryParseDuration(profile.timeout);
  if (callTimeoutMs === undefined || callTimeoutMs <= 0) {
    return { ok: false, reason: `agent profile "${profileName}": timeout "${String(profile.timeout)}" is not a duration like 90s or 2m` };
  }
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  if (profile.max_retries !== undefined) retry.maxRetries = profile.max_retries;
  if (profile.retry_delay !== undefined) retry.initialDelayMs = tryParseDuration(profile.retry_delay) ?? retry.initialDelayMs;
  const api = chooseApi(profile.api, baseURL);
  return {
    ok: true,
    connection: {
      client: new (sdk().OpenAI)({ apiKey, baseURL, maxRetries: 0, timeout: callTimeoutMs }),
      api,
      keepReasoning: api === "responses" && (profile.reasoning !== undefined || new URL(baseURL).hostname === "api.openai.com"),
      model: profile.model ?? DEFAULT_MODEL,
      baseURL,
      callTimeoutMs,
      retry,
      temperature: profile.temperature,
      reasoning: profile.reasoning,
    },
  };
}

export interface CallOptions {
  signal: AbortSignal;
  /** Sent as the Idempotency-Key header (task:attempt:turn). */
  idempotencyKey?: string;
  onRetry?: (info: { retry: number; delayMs: number; error: string }) => void;
}

export interface CallResult {
  entry: AssistantEntry;
  usage: Usage;
  requestId: string | undefined;
}

/** One model call with retries; throws ModelCallError when it cannot get an answer. */
export async function callModel(connection: Connection, body: Record<string, unknown>, options: CallOptions): Promise<CallResult> {
  const headers: Record<string, string> = {};
  if (options.idempotencyKey !== undefined) headers["Idempotency-Key"] = options.idempotencyKey;
  return withRetries(
    async (signal) => {
      const requestOptions = { signal, timeout: connection.callTimeoutMs, maxRetries: 0, headers };
      const { data, request_id } =
        connection.api === "responses"
          ? await connection.client.responses.create(body as unknown as ResponseCreateParamsNonStreaming, requestOptions).withResponse()
          : await connection.client.chat.completions
              .create(body as unknown as ChatCompletionCreateParamsNonStreaming, requestOptions)
              .withResponse();
      const { entry, usage } = parseReply(connection.api, data);
      return { entry, usage, requestId: request_id ?? undefined };
    },
    { policy: connection.retry, signal: options.signal, ...(options.onRetry && { onRetry: options.onRetry }) },
  );
}
