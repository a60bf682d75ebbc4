/** Response headers as both fetch (`null` when absent) and @azure/core-rest-pipeline (`undefined`) give them. */
export interface HeaderReader {
  get(name: string): string | null | undefined;
}

/**
 * How long a throttled answer asked the caller to wait, in ms: Azure's `retry-after-ms` or
 * `x-ms-retry-after-ms`, else `Retry-After` in seconds or as an HTTP date (the server's wall clock,
 * compared with `now`). Undefined when none is given or none parses.
 */
export function retryAfterMs(headers: HeaderReader | undefined, now: number): number | undefined {
  if (headers === undefined) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = headers.get(name);
    const ms = Number(value);
    if (value !== undefined && value !== null && value.trim() !== '' && Number.isFinite(ms) && ms >= 0)
      return ms;
  }
  const value = headers.get('retry-after');
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  // delay-seconds is never negative (RFC 9110): a negative one is no answer, not "now".
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
