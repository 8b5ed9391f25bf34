// Our own retry loop around one model call: the SDK's retries sleep without an upper bound and ignore the abort
// signal (see AGENTS.md), so the SDK runs with maxRetries 0 and this loop decides what is retried and for how long.
import type { Usage } from "../../schema/common.js";
import { sdk } from "./sdk.js";

export interface RetryPolicy {
  /** Retries after the first try (so maxRetries + 1 tries in all). */
  maxRetries: number;
  /** First backoff delay; it doubles each retry, with jitter, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** The longest wait a server's Retry-After / retry-after-ms may impose. */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 6,
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  retryAfterCapMs: 60_000,
};

/** How a model call ended when it did not succeed: the attempt's failure kind and a reason a person can read. */
export class ModelCallError extends Error {
  /** What was spent before the failure, where the caller knows it (structuredCall sets it). */
  usage: Usage | undefined;
  constructor(
    readonly kind: "failed" | "cancelled" | "timeout" | "config",
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ModelCallError";
  }
}

const RETRYABLE_STATUS = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

/** The server's own wording for an HTTP error, else the SDK's message. */
export function errorMessage(error: unknown): string {
  if (error instanceof sdk().APIError) {
    const body = error.error as { message?: unknown } | undefined;
    const said = typeof body?.message === "string" && body.message !== "" ? body.message : error.message;
    return error.status !== undefined ? `HTTP ${error.status}: ${said}` : said;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Milliseconds the server asked us to wait (retry-after-ms, Retry-After in seconds or as a date), if it did. */
export function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof sdk().APIError) || error.headers === undefined) return undefined;
  const ms = Number(error.headers.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const header = error.headers.get("retry-after");
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function isRetryable(error: unknown): boolean {
  const { APIConnectionError, APIError, APIUserAbortError } = sdk();
  if (error instanceof APIUserAbortError) return false;
  // APIConnectionTimeoutError is an APIConnectionError.
  if (error instanceof APIConnectionError) return true;
  return error instanceof APIError && error.status !== undefined && RETRYABLE_STATUS(error.status);
}

/** Resolves after `ms`, or at once (false) when `signal` aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryOptions {
  policy: RetryPolicy;
  signal: AbortSignal;
  /** Told before each wait: for the attempt's log. */
  onRetry?: (info: { retry: number; delayMs: number; error: string }) => void;
}

/**
 * Runs `call` until it succeeds, retrying 408/409/429/5xx, connection errors and timeouts with exponential
 * backoff and jitter (or the server's Retry-After, capped). Throws ModelCallError: "cancelled" when the signal
 * aborts (the wait ends at once), "failed" with the server's message for other errors or when retries run out.
 */
export async function withRetries<T>(call: (signal: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  for (let retry = 0; ; retry++) {
    if (signal.aborted) throw new ModelCallError("cancelled", "the model call was cancelled");
    try {
      return await call(signal);
    } catch (error: unknown) {
      const { APIError, APIUserAbortError } = sdk();
      if (signal.aborted || error instanceof APIUserAbortError) {
        throw new ModelCallError("cancelled", "the model call was cancelled", undefined, { cause: error });
      }
      const status = error instanceof APIError ? error.status : undefined;
      const message = errorMessage(error);
      if (!(error instanceof APIError)) throw error;
      if (!isRetryable(error)) throw new ModelCallError("failed", `the model server refused the call: ${message}`, status, { cause: error });
      if (retry >= policy.maxRetries) {
        const tries = retry + 1;
        throw new ModelCallError("failed", `the model call failed ${tries} time${tries === 1 ? "" : "s"}: ${message}`, status, { cause: error });
      }
      const backoff = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** retry);
      const jittered = backoff * (0.5 + Math.random() * 0.5);
      const asked = retryAfterMs(error);
      const delayMs = Math.round(asked !== undefined ? Math.min(asked, policy.retryAfterCapMs) : jittered);
      options.onRetry?.({ retry: retry + 1, delayMs, error: message });
      if (!(await abortableDelay(delayMs, signal))) throw new ModelCallError("cancelled", "the model call was cancelled");
    }
  }
}
