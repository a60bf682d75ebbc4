import { Duration } from 'luxon';

/**
 * A duration parsed once at start. `iso` keeps the operator's spelling for messages; `duration` is
 * luxon's calendar-aware form (P1M from 31 January ends on the last day of February); `ms` is for
 * timers, where calendar units are approximated the way luxon does (a month is 30 days).
 */
export interface ParsedDuration {
  iso: string;
  duration: Duration;
  ms: number;
}

export function parseIsoDuration(iso: string): ParsedDuration | undefined {
  const duration = Duration.fromISO(iso.trim());
  if (!duration.isValid) return undefined;
  const ms = duration.toMillis();
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return { iso: iso.trim(), duration, ms };
}
