import type { DateTime, Duration } from 'luxon';
import { RotatorError } from '../errors';
import type { RotationLock } from '../rotation';
import { TAG } from '../tags';
import type { SecretStore } from '../vault';
import { decideCheckout } from './due-time';
import type { RotationScheduler } from './rotation-scheduler';

/** What recording a use needs: the one path for checkouts (usage listener) and unbrokered reads (audit watch). */
export interface RecordUsageDeps {
  scheduler: RotationScheduler;
  /** Serialises tag updates of one secret across replicas (a lock namespace of its own). */
  tagLock: RotationLock;
  grace: Duration;
  sleep(ms: number): Promise<void>;
}

/** One use of a secret: a checkout, or a read seen in the vault's own log. */
export interface UsageToRecord {
  secret: string;
  /** When the use happened (the checkout's `at`, the audit row's own time). */
  at: DateTime;
  actor: string;
  note: string;
  checkoutId?: string;
  traceparent?: string;
}

export interface RecordedUsage {
  name: string;
  /** The use forced rotation counts from: the earliest unsatisfied one. */
  countedFrom: DateTime;
  forcedAt: DateTime;
  /** A rotation committed after the use already made it unnecessary. */
  satisfied: boolean;
  jobId: string | undefined;
}

/**
 * Records a use on the secret's current version as `checked-out-at` (durable: a Redis loss cannot drop
 * it; only the earliest unsatisfied use is kept, so a later one never postpones the rotation) and
 * schedules the forced rotation at that use + grace under an id derived from it, so repeated uses give
 * one job. The job is queued before the tag is written, so the sweep (which also reads the tag) can
 * never add it first without this use's id and trace. Undefined when the secret does not exist.
 */
export async function recordUsage(
  deps: RecordUsageDeps,
  store: SecretStore,
  usage: UsageToRecord,
): Promise<RecordedUsage | undefined> {
  let jobId: string | undefined;
  const schedule = async (name: string, countedFrom: DateTime): Promise<void> => {
    const planned = deps.scheduler.plan(
      'usage',
      store.vaultUrl,
      name,
      { triggeredAt: countedFrom, dueAt: countedFrom.plus(deps.grace), idStamp: countedFrom },
      {
        checkoutId: usage.checkoutId,
        traceparent: usage.traceparent,
        requestedBy: usage.actor,
        note: usage.note,
      },
    );
    await deps.scheduler.add([planned]);
    jobId = planned.id;
  };
  const lease = await acquire(deps, `${store.vaultUrl}|${usage.secret.toLowerCase()}`);
  try {
    const recorded = await record(store, usage.secret, usage.at, deps.grace, schedule);
    return recorded === undefined
      ? undefined
      : { ...recorded, forcedAt: recorded.countedFrom.plus(deps.grace), jobId };
  } finally {
    await lease.release();
  }
}

async function record(
  store: SecretStore,
  name: string,
  at: DateTime,
  grace: Duration,
  schedule: (name: string, countedFrom: DateTime) => Promise<void>,
): Promise<{ name: string; countedFrom: DateTime; satisfied: boolean } | undefined> {
  // A rotation may commit a new version between our read and our tag write; then look again.
  for (let round = 0; round < 3; round += 1) {
    const current = await store.get(name);
    if (current === undefined) return undefined;
    // The one rule of 'when' (scheduling/due-time): satisfied, or counted from the earliest use.
    const decision = decideCheckout(current, at, grace);
    if (decision.satisfied) return { name: current.name, countedFrom: at, satisfied: true };
    await schedule(current.name, decision.countedFrom);
    if (!decision.record) return { name: current.name, countedFrom: decision.countedFrom, satisfied: false };
    await store.updateProperties(current.name, current.version, {
      tags: { ...current.tags, [TAG.checkedOutAt]: at.toISO() ?? '' },
    });
    const after = await store.get(name);
    if (after?.version === current.version) return { name: current.name, countedFrom: at, satisfied: false };
  }
  await schedule(name, at);
  return { name, countedFrom: at, satisfied: false };
}

async function acquire(deps: RecordUsageDeps, key: string) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const lease = await deps.tagLock.acquire(key);
    if (lease !== undefined) return lease;
    await deps.sleep(100);
  }
  throw new RotatorError('ROTATION_LOCKED', `another listener is recording a use of ${key}`, {
    hint: 'retried automatically',
  });
}
