/** Nearest-rank percentile of a sample; NaN for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Requests the emulator answered: its counters per operation and per fault, but not `badRequest`, a tally of 4xx answers already counted under their operation. */
export function requestCount(counters: Record<string, number>): number {
  return Object.entries(counters).reduce((sum, [name, n]) => (name === 'badRequest' ? sum : sum + n), 0);
}

export const megabytes = (bytes: number): number => round(bytes / (1024 * 1024), 1);
