import { DateTime, type Duration } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { isRotatorError } from '../errors';
import type { SecretProperties, SecretStore } from '../vault';
import { classifySecret, type DueDecision } from './due-time';
import { secretKey, vaultSuffix } from './job-ids';
import type { FleetSnapshot } from './fleet-snapshot';
import type { OutcomeStore } from './outcome-store';
import type { PlannedJob, RotationScheduler } from './rotation-scheduler';
import type { PendingRetirement, RetirementScheduler } from './retirement-jobs';
import { parseRetirement, RETIREMENT_TAG } from '../rotation/retirement-record';

export interface SweepDeps {
  stores: readonly SecretStore[];
  scheduler: RotationScheduler;
  /** Re-adds retirement follow-ups Key Vault records as pending or unproven (lost with Redis, or failed). */
  retirements?: RetirementScheduler;
  outcomes: OutcomeStore;
  clock: Clock;
  defaults: { interval: Duration; grace: Duration };
  logger: Logger;
  /** Receives the age of every managed secret and the overdue count, for the gauges. */
  observe?(ages: SecretAge[], overdue: number): void;
  /** Receives the sweep's view of the fleet, to share with every replica's gauges (Redis). */
  publish?(snapshot: FleetSnapshot): Promise<void>;
  /** Called for each schedule decision, for tracing. */
  onDecision?(decision: SweepDecision): void;
}

interface SecretAge {
  secret: string;
  vault: string;
  ageSeconds: number;
}

interface SweepDecision {
  secret: string;
  vault: string;
  decision: 'scheduled' | 'overdue' | 'forced' | 'recover' | 'misconfigured' | 'removed';
  dueAt?: string;
}

export interface SweepSummary {
  vaults: number;
  unreachableVaults: string[];
  managed: number;
  overdue: number;
  forced: number;
  recovering: number;
  misconfigured: number;
  removed: number;
  /** Previous credentials still valid in an overlap. */
  overlapping: number;
  /** Retirements that could not be proven: each is an alert, and is tried again now. */
  unproven: number;
}

/** Scheduled jobs applied per round trip while a vault is listed. */
const PLAN_CHUNK = 500;

interface VaultPlan {
  scheduled: Array<{ key: string; job: PlannedJob }>;
  other: PlannedJob[];
  seen: Set<string>;
  retirements: PendingRetirement[];
}

/**
 * Makes the queue agree with Key Vault, the source of truth: one scheduled job per managed secret at
 * its due time, a forced job for each recorded checkout not yet satisfied, a recovery job for each
 * interrupted rotation, and no job for secrets that are gone or no longer managed. Safe to run on any
 * replica at any time; every job id is deterministic.
 */
export async function sweepVaults(deps: SweepDeps): Promise<SweepSummary> {
  const now = deps.clock.now();
  const summary: SweepSummary = {
    vaults: deps.stores.length,
    unreachableVaults: [],
    managed: 0,
    overdue: 0,
    forced: 0,
    recovering: 0,
    misconfigured: 0,
    removed: 0,
    overlapping: 0,
    unproven: 0,
  };
  const ages: SecretAge[] = [];
  const index = await deps.scheduler.scheduledIndex();
  for (const store of deps.stores) {
    const plan: VaultPlan = { scheduled: [], other: [], seen: new Set(), retirements: [] };
    // One chunk is written to Redis while the listing goes on: the two round trips overlap.
    let applying: Promise<void> = Promise.resolve();
    try {
      for await (const props of store.list()) {
        await planSecret(deps, store, props, now, plan, summary, ages);
        // Applied in chunks as the listing goes: a 100k-secret vault's whole plan held at once
        // cost the daemon hundreds of MB (BENCHMARKS.md, sweep at scale).
        if (plan.scheduled.length >= PLAN_CHUNK) {
          const chunk = plan.scheduled.splice(0);
          await applying;
          applying = deps.scheduler.replaceScheduled(chunk, index);
          // Observed by the next await; this only keeps a failure during the listing from going unhandled.
          applying.catch(() => undefined);
        }
      }
      await applying;
    } catch (error) {
      await applying.catch(() => undefined);
      // A vault we cannot list keeps its jobs: dropping them on a transient error would lose schedules.
      summary.unreachableVaults.push(store.vaultUrl);
      deps.logger.warn(
        { vault: store.vaultUrl, code: isRotatorError(error) ? error.code : undefined },
        'sweep could not list the vault; its schedule is left as it was',
      );
      continue;
    }
    await deps.scheduler.replaceScheduled(plan.scheduled, index);
    await deps.scheduler.add(plan.other);
    for (const retirement of plan.retirements) await deps.retirements?.ensure(retirement);
    const suffix = vaultSuffix(store.vaultUrl);
    const gone = Object.keys(index).filter((key) => key.endsWith(suffix) && !plan.seen.has(key));
    await deps.scheduler.unschedule(gone, index);
    for (const key of gone) {
      deps.onDecision?.({ secret: key.slice(0, -suffix.length), vault: store.vaultUrl, decision: 'removed' });
    }
    summary.removed += gone.length;
  }
  deps.observe?.(ages, summary.overdue);
  if (deps.publish !== undefined) await deps.publish(await fleetSnapshot(deps, now, summary, ages));
  return summary;
}

async function fleetSnapshot(
  deps: SweepDeps,
  now: DateTime,
  summary: SweepSummary,
  ages: SecretAge[],
): Promise<FleetSnapshot> {
  const outcomes = await deps.outcomes.all();
  const quarantined = [...outcomes.values()].filter((o) => o.outcome === 'quarantined').length;
  return {
    at: now.toISO() ?? '',
    overdue: summary.overdue,
    quarantined,
    unreachableVaults: summary.unreachableVaults.length,
    secrets: ages.map((a) => ({
      secret: a.secret,
      vault: a.vault,
      lastRotated: now.minus({ seconds: a.ageSeconds }).toISO() ?? '',
    })),
  };
}

async function planSecret(
  deps: SweepDeps,
  store: SecretStore,
  props: SecretProperties,
  now: DateTime,
  plan: VaultPlan,
  summary: SweepSummary,
  ages: SecretAge[],
): Promise<void> {
  const vault = store.vaultUrl;
  const found = classifySecret(props, deps.defaults, now);
  if (found.kind === 'unmanaged') return;
  if (found.kind === 'pending-record') {
    if (found.prepared) planRecovery(deps, vault, found.pendingFor, props.version, now, plan, summary);
    return;
  }
  const key = secretKey(vault, props.name);
  plan.seen.add(key);
  summary.managed += 1;
  planRetirement(vault, props, now, plan, summary);
  if (found.kind === 'misconfigured') {
    summary.misconfigured += 1;
    await deps.outcomes.record(key, {
      outcome: 'misconfigured',
      at: now.toISO() ?? '',
      errorCode: 'SECRET_MISCONFIGURED',
      error: found.error.message,
    });
    deps.onDecision?.({ secret: props.name, vault, decision: 'misconfigured' });
    return;
  }
  const decision = found.due;
  ages.push({
    secret: props.name,
    vault,
    ageSeconds: Math.max(0, now.diff(decision.lastRotated).as('seconds')),
  });
  if (decision.overdue) summary.overdue += 1;
  plan.scheduled.push({
    key,
    job: deps.scheduler.plan('scheduled', vault, props.name, {
      // Any rotation after the one this schedule counts from satisfies it.
      triggeredAt: decision.lastRotated.plus(1),
      dueAt: decision.scheduledAt,
      idStamp: decision.scheduledAt,
    }),
  });
  deps.onDecision?.({
    secret: props.name,
    vault,
    decision: decision.overdue ? 'overdue' : 'scheduled',
    dueAt: decision.scheduledAt.toISO() ?? undefined,
  });
  planForced(deps, vault, props.name, decision, plan, summary);
}

/** A retirement Key Vault records as pending or unproven: its follow-up job is added again if missing. */
function planRetirement(
  vault: string,
  props: SecretProperties,
  now: DateTime,
  plan: VaultPlan,
  summary: SweepSummary,
): void {
  const retirement = parseRetirement(props.tags[RETIREMENT_TAG]);
  if (retirement === undefined || retirement.state === 'proven') return;
  if (retirement.state === 'pending') summary.overlapping += 1;
  else summary.unproven += 1;
  const at = retirement.state === 'pending' ? retirement.at : (now.toISO() ?? retirement.at);
  plan.retirements.push({ vault, secret: props.name, version: retirement.version, at });
}

/** An interrupted rotation: a recovery job finishes or rolls it back now, not at the next due time. */
function planRecovery(
  deps: SweepDeps,
  vault: string,
  secret: string,
  pendingVersion: string,
  now: DateTime,
  plan: VaultPlan,
  summary: SweepSummary,
): void {
  const epoch = DateTime.fromMillis(0, { zone: 'utc' });
  plan.other.push(
    deps.scheduler.plan('recover', vault, secret, {
      triggeredAt: epoch,
      dueAt: now,
      idStamp: pendingVersion,
    }),
  );
  summary.recovering += 1;
  deps.onDecision?.({ secret, vault, decision: 'recover' });
}

/** A recorded checkout not yet satisfied: its forced rotation, under the id the usage listener used. */
function planForced(
  deps: SweepDeps,
  vault: string,
  secret: string,
  decision: DueDecision,
  plan: VaultPlan,
  summary: SweepSummary,
): void {
  if (decision.forcedAt === undefined || decision.checkedOutAt === undefined) return;
  const checkedOut = decision.checkedOutAt;
  plan.other.push(
    deps.scheduler.plan('usage', vault, secret, {
      triggeredAt: checkedOut,
      dueAt: decision.forcedAt,
      idStamp: checkedOut,
    }),
  );
  summary.forced += 1;
  deps.onDecision?.({ secret, vault, decision: 'forced', dueAt: decision.forcedAt.toISO() ?? undefined });
}
