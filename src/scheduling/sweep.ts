import { DateTime, type Duration } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { isRotatorError } from '../errors';
import type { SecretProperties, SecretStore } from '../vault';
import { classifySecret, type DueDecision } from './due-time';
import { secretKey, vaultSuffix } from './job-ids';
import { forEachBounded } from './bounded';
import { FleetTally, type SweptFleet } from './fleet-tally';
import type { FleetSnapshot } from './fleet-snapshot';
import { withinHorizon } from './horizon';
import type { OutcomeStore } from './outcome-store';
import type { PlannedJob, SweepScheduler } from './rotation-scheduler';
import type { PendingRetirement, RetirementScheduler } from './retirement-jobs';
import { parseRetirement, RETIREMENT_TAG } from '../rotation/retirement-record';

export interface SweepDeps {
  stores: readonly SecretStore[];
  /** Queues the jobs; its horizon says how far ahead scheduled rotations get one. */
  scheduler: SweepScheduler;
  /** Re-adds retirement follow-ups Key Vault records as pending or unproven (lost with Redis, or failed). */
  retirements?: RetirementScheduler;
  outcomes: Pick<OutcomeStore, 'record' | 'all'>;
  clock: Clock;
  defaults: { interval: Duration; grace: Duration };
  logger: Logger;
  /** Receives each sweep's counts, for callers that keep figures of their own. */
  observe?(summary: SweepSummary): void;
  /** Receives the sweep's view of the fleet, to share with every replica's gauges (Redis). */
  publish?(snapshot: FleetSnapshot): Promise<void>;
  /** Called for each schedule decision that queues or removes a job, for tracing. */
  onDecision?(decision: SweepDecision): void;
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
  /** Managed secrets due within the horizon (overdue ones included): each has its delayed job. */
  queued: number;
  /** Managed secrets due later: no job and no index entry; a later sweep queues them. */
  beyondHorizon: number;
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
/** Vaults listed at once: each listing is a chain of page round trips, so a few overlap well. */
const VAULTS_AT_ONCE = 4;

/** What one sweep shares across the vaults it lists in parallel. */
interface SweepRun {
  deps: SweepDeps;
  now: DateTime;
  /** The near-future index: secret key → its scheduled job id. */
  index: Record<string, string>;
  summary: SweepSummary;
  fleet: FleetTally;
  nextBeyond: DateTime | undefined;
}

interface VaultPlan {
  scheduled: Array<{ key: string; job: PlannedJob }>;
  other: PlannedJob[];
  /** Indexed keys this listing found (only those: the index is the near future, not the fleet). */
  seen: Set<string>;
  /** Indexed keys now due beyond the horizon: their jobs and entries go. */
  far: string[];
  retirements: PendingRetirement[];
}

function emptySummary(vaults: number): SweepSummary {
  return {
    vaults,
    unreachableVaults: [],
    managed: 0,
    overdue: 0,
    queued: 0,
    beyondHorizon: 0,
    forced: 0,
    recovering: 0,
    misconfigured: 0,
    removed: 0,
    overlapping: 0,
    unproven: 0,
  };
}

/**
 * Makes the queue agree with Key Vault, the source of truth: a scheduled job for each managed secret
 * due within the horizon (none for later ones: Key Vault keeps their due times and a later sweep
 * queues them), a forced job for each recorded checkout not yet satisfied, a recovery job for each
 * interrupted rotation, and no job for secrets that are gone or no longer managed. Vaults are listed
 * a few at once and streamed: what a sweep holds grows with the near future, not with the fleet
 * (its snapshot keeps a count and the oldest secrets only). Safe to run on any replica at any time; every job id is
 * deterministic.
 */
export async function sweepVaults(deps: SweepDeps): Promise<SweepSummary> {
  const run: SweepRun = {
    deps,
    now: deps.clock.now(),
    index: await deps.scheduler.scheduledIndex(),
    summary: emptySummary(deps.stores.length),
    fleet: new FleetTally(deps.stores.map((s) => s.vaultUrl)),
    nextBeyond: undefined,
  };
  await forEachBounded(deps.stores, VAULTS_AT_ONCE, (store) => sweepVault(run, store));
  deps.observe?.(run.summary);
  const secrets = run.fleet.finish();
  if (deps.publish !== undefined) await deps.publish(await fleetSnapshot(run, secrets));
  return run.summary;
}

async function sweepVault(run: SweepRun, store: SecretStore): Promise<void> {
  const { deps, index, summary } = run;
  const plan: VaultPlan = { scheduled: [], other: [], seen: new Set(), far: [], retirements: [] };
  // One chunk is written to Redis while the listing goes on: the two round trips overlap.
  let applying: Promise<void> = Promise.resolve();
  try {
    for await (const props of store.list()) {
      await planSecret(run, store, props, plan);
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
    return;
  }
  await deps.scheduler.replaceScheduled(plan.scheduled, index);
  await deps.scheduler.add(plan.other);
  for (const retirement of plan.retirements) await deps.retirements?.ensure(retirement);
  const suffix = vaultSuffix(store.vaultUrl);
  const gone = Object.keys(index).filter((key) => key.endsWith(suffix) && !plan.seen.has(key));
  await deps.scheduler.unschedule([...gone, ...plan.far], index);
  for (const key of gone) {
    deps.onDecision?.({ secret: key.slice(0, -suffix.length), vault: store.vaultUrl, decision: 'removed' });
  }
  summary.removed += gone.length;
}

async function fleetSnapshot(run: SweepRun, secrets: SweptFleet): Promise<FleetSnapshot> {
  const { summary } = run;
  const outcomes = await run.deps.outcomes.all();
  const quarantined = [...outcomes.values()].filter((o) => o.outcome === 'quarantined').length;
  return {
    at: run.now.toISO() ?? '',
    overdue: summary.overdue,
    quarantined,
    unreachableVaults: summary.unreachableVaults.length,
    schedule: {
      horizon: run.deps.scheduler.horizon.toISO() ?? '',
      queued: summary.queued,
      beyondHorizon: summary.beyondHorizon,
      ...(run.nextBeyond !== undefined && { nextBeyond: run.nextBeyond.toISO() ?? '' }),
    },
    secrets,
  };
}

async function planSecret(
  run: SweepRun,
  store: SecretStore,
  props: SecretProperties,
  plan: VaultPlan,
): Promise<void> {
  const { deps, now, summary } = run;
  const vault = store.vaultUrl;
  const found = classifySecret(props, deps.defaults, now);
  if (found.kind === 'unmanaged') return;
  if (found.kind === 'pending-record') {
    if (found.prepared) planRecovery(deps, vault, found.pendingFor, props.version, now, plan, summary);
    return;
  }
  const key = secretKey(vault, props.name);
  if (run.index[key] !== undefined) plan.seen.add(key);
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
  run.fleet.add(vault, props.name, decision.lastRotated.toMillis());
  if (decision.overdue) summary.overdue += 1;
  planScheduled(run, vault, props.name, key, decision, plan);
  planForced(deps, vault, props.name, decision, plan, summary);
}

/** The scheduled rotation: a job when due within the horizon, else nothing (and any old job goes). */
function planScheduled(
  run: SweepRun,
  vault: string,
  secret: string,
  key: string,
  decision: DueDecision,
  plan: VaultPlan,
): void {
  const { deps, summary } = run;
  if (!withinHorizon(decision.scheduledAt, run.now, deps.scheduler.horizon)) {
    summary.beyondHorizon += 1;
    if (run.nextBeyond === undefined || decision.scheduledAt < run.nextBeyond) {
      run.nextBeyond = decision.scheduledAt;
    }
    if (run.index[key] !== undefined) plan.far.push(key);
    return;
  }
  summary.queued += 1;
  plan.scheduled.push({
    key,
    job: deps.scheduler.plan('scheduled', vault, secret, {
      // Any rotation after the one this schedule counts from satisfies it.
      triggeredAt: decision.lastRotated.plus(1),
      dueAt: decision.scheduledAt,
      idStamp: decision.scheduledAt,
    }),
  });
  deps.onDecision?.({
    secret,
    vault,
    decision: decision.overdue ? 'overdue' : 'scheduled',
    dueAt: decision.scheduledAt.toISO() ?? undefined,
  });
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
