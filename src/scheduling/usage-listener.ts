import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DateTime, type Duration } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { isRotatorError } from '../errors';
import { isManaged, TAG } from '../tags';
import { findStore, type SecretStore, type SecretWithValue } from '../vault';
import { retryDelayMs } from './backoff';
import { describeIssues, usageEventSchema, type UsageEvent } from './job-data';
import { recordUsage, type RecordUsageDeps } from './record-usage';

export interface UsageListenerDeps extends RecordUsageDeps {
  stores: readonly SecretStore[];
  clock: Clock;
  logger: Logger;
  /** Events further in the future than this are refused (clock skew allowance). */
  maxFutureSkew?: Duration;
  /** Events stamped longer than this before they arrived are refused (default PT5M): a usage is reported as it happens. */
  maxAge?: Duration;
  /** Wraps the handling of one raw event (the `usage.checkout` span and the audit record). */
  around?(raw: unknown, run: () => Promise<UsageOutcome>): Promise<UsageOutcome>;
  /** Base of the backoff before a checkout that met a transient failure is tried again (ROTATOR_RETRY_BACKOFF). */
  retryBackoffMs?: number;
  /** The trace context to carry to the forced rotation, so its span links back to this checkout. */
  currentTraceparent?(): string | undefined;
}

export interface UsageOutcome {
  secret: string;
  vault: string;
  /** The checkout forced rotation counts from: the earliest unsatisfied one. */
  countedFrom: string;
  forcedAt: string;
  /** A rotation committed after the checkout already made it unnecessary. */
  satisfied: boolean;
  jobId: string | undefined;
}

function reject(reason: string): UnrecoverableError {
  // UnrecoverableError: BullMQ fails the job at once and keeps the reason; an invalid event never loops.
  return new UnrecoverableError(`USAGE_INVALID: ${reason}`);
}

async function locate(deps: UsageListenerDeps, event: UsageEvent): Promise<[SecretStore, SecretWithValue]> {
  const candidates =
    event.vault === undefined
      ? deps.stores
      : [findStore(deps.stores, event.vault)].filter((s) => s !== undefined);
  if (candidates.length === 0) throw reject(`vault ${event.vault ?? ''} is not one of ROTATOR_VAULT_URL`);
  for (const store of candidates) {
    const secret = await store.get(event.secret);
    if (secret !== undefined) return [store, secret];
  }
  throw reject(`secret ${event.secret} does not exist in ${candidates.map((s) => s.vaultUrl).join(', ')}`);
}

function parseEvent(
  deps: UsageListenerDeps,
  raw: unknown,
  receivedAt: DateTime | undefined,
): { event: UsageEvent; at: DateTime } {
  const parsed = usageEventSchema.safeParse(raw);
  if (!parsed.success) throw reject(describeIssues(parsed.error));
  const event = parsed.data;
  const at = DateTime.fromISO(event.at, { zone: 'utc' });
  const now = deps.clock.now();
  const skew = deps.maxFutureSkew ?? { minutes: 5 };
  const maxAge = deps.maxAge ?? { minutes: 5 };
  // Judged from the event's arrival on the queue, so a retried checkout stays valid.
  const arrived = receivedAt ?? now;
  if (at > now.plus(skew)) throw reject(`at ${event.at} is in the future`);
  if (at < arrived.minus(maxAge))
    throw reject(
      `at ${event.at} is older than ${arrived.minus(maxAge).toISO() ?? ''}: a usage is reported when it happens`,
    );
  return { event, at };
}

/** Validates one event, records the checkout and schedules its forced rotation. */
async function handleEvent(
  deps: UsageListenerDeps,
  raw: unknown,
  receivedAt?: DateTime,
): Promise<UsageOutcome> {
  const { event, at } = parseEvent(deps, raw, receivedAt);
  const [store, found] = await locate(deps, event);
  if (!isManaged(found.tags))
    throw reject(`secret ${event.secret} in ${store.vaultUrl} is not managed (no ${TAG.target} tag)`);
  const recorded = await recordUsage(deps, store, {
    secret: event.secret,
    at,
    actor: event.actor,
    note: event.reason,
    checkoutId: event.checkoutId,
    traceparent: deps.currentTraceparent?.() ?? event.traceparent,
  });
  if (recorded === undefined) throw reject(`secret ${event.secret} does not exist in ${store.vaultUrl}`);
  const jobId = recorded.jobId;
  const outcome: UsageOutcome = {
    secret: recorded.name,
    vault: store.vaultUrl,
    countedFrom: recorded.countedFrom.toISO() ?? '',
    forcedAt: recorded.forcedAt.toISO() ?? '',
    satisfied: recorded.satisfied,
    jobId,
  };
  deps.logger.info(
    {
      secret: outcome.secret,
      vault: outcome.vault,
      actor: event.actor,
      forcedAt: outcome.forcedAt,
      satisfied: outcome.satisfied,
    },
    outcome.satisfied
      ? 'checkout already satisfied by a later rotation'
      : 'checkout recorded; forced rotation scheduled',
  );
  return outcome;
}

/**
 * A valid checkout that met a transient failure (vault throttled or down, Redis blip) must not be
 * dropped: producers add events with BullMQ's default of one attempt, and a lost checkout is a
 * credential left unrotated. It waits and is recorded again; recording is idempotent.
 */
async function retryLater(
  deps: UsageListenerDeps,
  job: Job<unknown>,
  token: string,
  error: unknown,
): Promise<never> {
  const delay = retryDelayMs(job.attemptsStarted, error, {
    baseMs: deps.retryBackoffMs ?? 1_000,
    maxMs: 60_000,
  });
  deps.logger.warn(
    {
      jobId: job.id,
      code: isRotatorError(error) ? error.code : undefined,
      attempt: job.attemptsStarted,
      retryInMs: delay,
    },
    'checkout could not be recorded yet; retrying',
  );
  await job.moveToDelayed(Date.now() + delay, token);
  throw new DelayedError();
}

/**
 * The processor of the contract's `usage-events` queue. It validates the event, records the checkout
 * on the secret's current version as `checked-out-at` (durable: a Redis loss cannot drop it; only the
 * earliest unsatisfied checkout is kept, so a later one never postpones the rotation), then schedules
 * the forced rotation under an id derived from that earliest checkout, so repeated checkouts give one job.
 */
export function createUsageProcessor(deps: UsageListenerDeps) {
  return async (job: Job<unknown>, token?: string): Promise<UsageOutcome> => {
    const receivedAt = DateTime.fromMillis(job.timestamp, { zone: 'utc' });
    const handle = (raw: unknown): Promise<UsageOutcome> => handleEvent(deps, raw, receivedAt);
    try {
      return await (deps.around === undefined
        ? handle(job.data)
        : deps.around(job.data, () => handle(job.data)));
    } catch (error) {
      const permanent = error instanceof UnrecoverableError || (isRotatorError(error) && error.permanent);
      if (permanent || token === undefined) throw error;
      return retryLater(deps, job, token, error);
    }
  };
}

/**
 * Records one usage, wherever it comes from: the access API records a checkout with this, exactly as
 * a queued event (the `checked-out-at` tag and the forced rotation's job).
 */
export function createUsageRecorder(deps: UsageListenerDeps) {
  return (raw: unknown, receivedAt?: DateTime): Promise<UsageOutcome> => handleEvent(deps, raw, receivedAt);
}
