import type { WindowLimit } from './budget-limits';
import type { RefusedBy } from './request-budget';

/** The timestamps (ms) each limit's log holds, in ascending order, as the Redis script sees them. */
export interface LogState {
  limit: WindowLimit;
  /** Request times, ascending; entries at or before `now - windowMs` no longer count. */
  times: readonly number[];
}

export type LogDecision = { granted: true } | { granted: false; waitMs: number; by: RefusedBy };

/**
 * The sliding-log rule, the same the Redis script applies atomically: a request may go when every
 * log (the vault's, then the subscription's) holds fewer than `max` entries after `now - windowMs`,
 * and no 429 pause runs; otherwise it waits until enough of the blocking log's entries have aged out.
 */
export function decideSlot(logs: readonly LogState[], now: number, pausedUntil = 0): LogDecision {
  if (pausedUntil > now) return { granted: false, waitMs: pausedUntil - now, by: 'paused' };
  let worst: LogDecision = { granted: true };
  logs.forEach(({ limit, times }, index) => {
    const live = times.filter((t) => t > now - limit.windowMs);
    if (live.length < limit.max) return;
    // Slot frees once all but max-1 entries aged out: the entry at live.length - max is the last of those.
    const blocking = live[live.length - limit.max] ?? now;
    const waitMs = blocking + limit.windowMs - now;
    if (worst.granted || waitMs > worst.waitMs)
      worst = { granted: false, waitMs, by: index === 0 ? 'vault' : 'subscription' };
  });
  return worst;
}
