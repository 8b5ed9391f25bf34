// Durations as people write them in config and flags: "500ms", "3s", "2m", "1h" (or a bare number of ms).

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

export type DurationInput = string | number;

/** Milliseconds for a duration, or undefined when it is not one. */
export function tryParseDuration(input: DurationInput): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? input : undefined;
  const match = DURATION_PATTERN.exec(input.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * (UNITS[unit ?? "ms"] ?? 1));
}

export function parseDuration(input: DurationInput, where = "duration"): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    throw new Error(`${where}: "${String(input)}" is not a duration; write it like 500ms, 3s, 2m or 1h`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}
