import { DateTime, Duration } from 'luxon';

/** What the schedule needs to know of one secret: its latest version's tags and creation time. */
export interface ScheduleInput {
  tags: Readonly<Record<string, string>>;
  createdOn: Date | undefined;
}

export interface ScheduleDefaults {
  interval: Duration;
  grace: Duration;
}

export type DueReason = 'scheduled' | 'usage';

export interface DueDecision {
  lastRotated: DateTime;
  interval: Duration;
  scheduledAt: DateTime;
  /** Set while a checkout after the last rotation still awaits its forced rotation. */
  forcedAt: DateTime | undefined;
  /** The checkout that forced rotation counts from (the earliest after the last rotation). */
  checkedOutAt: DateTime | undefined;
  dueAt: DateTime;
  reason: DueReason;
  overdue: boolean;
}

export class ScheduleTagError extends Error {
  constructor(
    readonly tag: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(`tag ${tag}='${value}' is invalid; use ${allowed}`);
    this.name = 'ScheduleTagError';
  }
}

function instant(tag: string, value: string | undefined): DateTime | undefined {
  if (value === undefined) return undefined;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) throw new ScheduleTagError(tag, value, 'an ISO-8601 UTC timestamp');
  return parsed;
}

function intervalOf(tags: Readonly<Record<string, string>>, fallback: Duration): Duration {
  const raw = tags['rotation-interval'];
  if (raw === undefined) return fallback;
  const parsed = Duration.fromISO(raw.trim());
  if (!parsed.isValid || parsed.toMillis() <= 0) {
    throw new ScheduleTagError('rotation-interval', raw, 'a positive ISO-8601 duration such as P13D');
  }
  return parsed;
}

/**
 * When a secret is next due, and why. Calendar arithmetic is done in UTC, so P1M from 31 January is
 * 28/29 February and no DST shift moves a rotation. One rule for forced rotation: the first checkout
 * after the last rotation plus the grace; later checkouts never postpone it, because only the
 * earliest `checked-out-at` after the last rotation counts, and a rotation after it clears it.
 */
export function decideDue(input: ScheduleInput, defaults: ScheduleDefaults, now: DateTime): DueDecision {
  const created = input.createdOn === undefined ? now : DateTime.fromJSDate(input.createdOn, { zone: 'utc' });
  const lastRotated = instant('rotated-at', input.tags['rotated-at']) ?? created;
  const interval = intervalOf(input.tags, defaults.interval);
  const scheduledAt = lastRotated.plus(interval);
  const checkedOut = instant('checked-out-at', input.tags['checked-out-at']);
  const pendingCheckout = checkedOut !== undefined && checkedOut >= lastRotated ? checkedOut : undefined;
  const forcedAt = pendingCheckout?.plus(defaults.grace);
  const usageFirst = forcedAt !== undefined && forcedAt < scheduledAt;
  const dueAt = usageFirst ? forcedAt : scheduledAt;
  return {
    lastRotated,
    interval,
    scheduledAt,
    forcedAt,
    checkedOutAt: pendingCheckout,
    dueAt,
    reason: usageFirst ? 'usage' : 'scheduled',
    overdue: scheduledAt <= now,
  };
}

export { isTriggerSatisfied } from '../rotation/trigger';
