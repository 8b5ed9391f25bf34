// The metrics of a repository's .codex/ folder: its events log, read whole, and its plan and config for names.
import { UsageError } from "../errors.js";
import { loadPlanIfPresent } from "../plan/load-plan.js";
import { readEvents } from "../store/events-log.js";
import type { CodexStore } from "../store/codex-store.js";
import { tryParseDuration } from "../util/duration.js";
import { computeMetrics, type Metrics } from "./compute-metrics.js";

/** `--since`: an ISO-8601 time, or a duration meaning that long before `now` ("2h", "30m"). */
export function parseSince(text: string, now: Date = new Date()): Date {
  const ago = tryParseDuration(text);
  if (ago !== undefined && typeof text === "string" && /[a-z]$/.test(text.trim())) return new Date(now.getTime() - ago);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`--since ${text}: not a time`, "Give an ISO time (2026-01-02T10:00:00Z) or a duration before now (2h, 30m).");
  return new Date(at);
}

export async function loadMetrics(store: CodexStore, since?: Date): Promise<Metrics & { skipped_lines: number }> {
  const [{ events, skipped }, plan, config] = await Promise.all([readEvents(store.paths.events), loadPlanIfPresent(store).catch(() => null), store.resolvedConfig()]);
  return { ...computeMetrics(events, plan, { since, defaultAgent: config.agent }), skipped_lines: skipped };
}
