import { DateTime, Duration } from 'luxon';

/** Time is a dependency so that due-time logic and tests never read the wall clock directly. */
export interface Clock {
  now(): DateTime;
}

export const systemClock: Clock = {
  now: () => DateTime.utc(),
};

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  private current: DateTime;

  constructor(start: string) {
    this.current = DateTime.fromISO(start, { zone: 'utc' });
  }

  now(): DateTime {
    return this.current;
  }

  advance(iso: string): void {
    const step = Duration.fromISO(iso);
    if (!step.isValid) throw new Error(`not an ISO-8601 duration: ${iso}`);
    this.current = this.current.plus(step);
  }
}
