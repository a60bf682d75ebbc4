import { Duration, type DateTime } from 'luxon';

/**
 * How many sweep intervals ahead Redis holds scheduled rotations. Two would already cover a due time
 * when one sweep fails or is late by up to an interval; three leaves room for a sweep that takes long
 * (a 1M-secret sweep runs for minutes) on top of that, and still keeps only minutes of a P13D
 * schedule in Redis. Key Vault stays the schedule: whatever lies beyond is read again next sweep.
 */
export const HORIZON_SWEEPS = 3;

/** The horizon for a sweep interval: rotations due within it have a delayed job, later ones none. */
export function scheduleHorizon(sweepInterval: Duration): Duration {
  return Duration.fromMillis(sweepInterval.toMillis() * HORIZON_SWEEPS).rescale();
}

/** A due time the sweep at `now` must give a job (overdue ones included). */
export function withinHorizon(dueAt: DateTime, now: DateTime, horizon: Duration): boolean {
  return dueAt.toMillis() <= now.toMillis() + horizon.toMillis();
}
