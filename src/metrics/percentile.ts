// Nearest-rank percentiles and small sums for the metrics: no interpolation, so every figure is one that was measured.

/** The p-th percentile (0 < p ≤ 100) by nearest rank: the smallest value with at least p % of the values at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function maxOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}

export function sumOf(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** Rounded to two decimals, for figures people read (rates, means). */
export function round2(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}
