import { DateTime, Duration } from 'luxon';
import { PENDING_TAGS, TAG } from '../tags';

/** What the schedule needs to know of one secret: its latest version's tags and creation time. */
interface ScheduleInput {
  tags: Readonly<Record<string, string>>;
  createdOn: Date | undefined;
}

interface ScheduleDefaults {
  interval: Duration;
  grace: Duration;
}

type DueReason = 'scheduled' | 'usage';

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
  const raw = tags[TAG.interval];
  if (raw === undefined) return fallback;
  const parsed = Duration.fromISO(raw.trim());
  if (!parsed.isValid || parsed.toMillis() <= 0) {
    throw new ScheduleTagError(TAG.interval, raw, 'a positive ISO-8601 duration such as P13D');
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
  const lastRotated = instant(TAG.rotatedAt, input.tags[TAG.rotatedAt]) ?? created;
  const interval = intervalOf(input.tags, defaults.interval);
  const scheduledAt = lastRotated.plus(interval);
  const checkedOut = instant(TAG.checkedOutAt, input.tags[TAG.checkedOutAt]);
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

/** What one listed secret is to the schedule; `sweep` and `rotator status` both read it from here. */
export type SecretClass =
  | { kind: 'pending-record'; pendingFor: string; prepared: boolean; startedAt: string | undefined }
  | { kind: 'unmanaged' }
  | { kind: 'misconfigured'; error: ScheduleTagError }
  | { kind: 'managed'; due: DueDecision };

/** Classifies one listed secret (its latest version's properties, no value). Pure: `now` is handed in. */
export function classifySecret(input: ScheduleInput, defaults: ScheduleDefaults, now: DateTime): SecretClass {
  const pendingFor = input.tags[PENDING_TAGS.for];
  if (pendingFor !== undefined) {
    return {
      kind: 'pending-record',
      pendingFor,
      prepared: input.tags[PENDING_TAGS.state] === 'prepared',
      startedAt: input.tags[PENDING_TAGS.startedAt],
    };
  }
  if (input.tags[TAG.target] === undefined) return { kind: 'unmanaged' };
  try {
    return { kind: 'managed', due: decideDue(input, defaults, now) };
  } catch (error) {
    if (!(error instanceof ScheduleTagError)) throw error;
    return { kind: 'misconfigured', error };
  }
}

type CheckoutDecision =
  /** A rotation committed at or after the checkout already replaced the value used. */
  | { satisfied: true }
  /**
   * The forced rotation counts from `countedFrom`: an earlier unsatisfied checkout when there is one
   * (later checkouts never postpone it), else this one, which is then recorded (`record`).
   */
  | { satisfied: false; countedFrom: DateTime; forcedAt: DateTime; record: boolean };

function lenientInstant(text: string | undefined): DateTime | undefined {
  if (text === undefined) return undefined;
  const parsed = DateTime.fromISO(text, { zone: 'utc' });
  return parsed.isValid ? parsed : undefined;
}

/**
 * The same rule as `decideDue`, for one checkout at `at` of a secret's current version. Unreadable
 * tags are ignored rather than refused: a checkout must always be recorded.
 */
export function decideCheckout(input: ScheduleInput, at: DateTime, grace: Duration): CheckoutDecision {
  const rotatedAt = lenientInstant(input.tags[TAG.rotatedAt]);
  if (rotatedAt !== undefined && rotatedAt >= at) return { satisfied: true };
  const lastRotated = rotatedAt ?? lenientInstant(input.createdOn?.toISOString()) ?? at;
  const existing = lenientInstant(input.tags[TAG.checkedOutAt]);
  const earlier = existing !== undefined && existing >= lastRotated && existing <= at;
  const countedFrom = earlier ? existing : at;
  return { satisfied: false, countedFrom, forcedAt: countedFrom.plus(grace), record: !earlier };
}
