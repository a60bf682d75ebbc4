import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Duration } from 'luxon';
import { quarterWindowSpread } from '../budget';
import { RedisRotationLock } from '../locking';
import {
  createRetirementProcessor,
  createRotationProcessor,
  RETIRE_JOB,
  createUsageProcessor,
  QUEUE,
  retryDelayMs,
  sweepVaults,
  type RotationJobData,
  type FleetSnapshot,
  type SweepSummary,
  type UsageListenerDeps,
} from '../scheduling';
import type { DaemonDeps } from './daemon-deps';
import type { DaemonPart } from './daemon-part';
import type { QueuesPart } from './queues-part';
import { createRotationRunner, sleep } from './rotation-runner';

export interface WorkersInput {
  deps: DaemonDeps;
  redis: Redis;
  queues: QueuesPart;
  defaults: { interval: Duration; grace: Duration };
}

function rotationWorker(
  { deps, redis, queues }: WorkersInput,
  connection: { connection: Redis; prefix: string },
) {
  const { config, logger, clock, stores } = deps;
  const { rotate, retire } = createRotationRunner(redis, connection.prefix, {
    ...deps,
    defaultIntervalMs: config.rotationInterval.ms,
    retirements: queues.retirements,
    readableStores: [...stores, ...(deps.connectionStores ?? [])],
    budget: deps.budget,
    // Refused jobs wake spread over a quarter of their vault's write window, not all for one slot.
    admissionSpread: quarterWindowSpread(config.vaultBudgets, Math.random),
  });
  const workerDeps = {
    stores,
    outcomes: queues.outcomes,
    clock,
    logger,
    lockedRetryMs: deps.lockedRetryMs ?? 2_000,
  };
  const rotation = createRotationProcessor({ ...workerDeps, rotate });
  const retirement = createRetirementProcessor({ ...workerDeps, retire });
  // The retirement follow-ups ride the rotations queue: same limiter, backoff and `rotator jobs`.
  const processor = (job: Job<RotationJobData>, token?: string) =>
    job.name === RETIRE_JOB ? retirement(job, token) : rotation(job, token);
  return new Worker<RotationJobData>(QUEUE.rotations, processor, {
    ...connection,
    concurrency: config.workerConcurrency,
    // Each vault's request budget (src/budget) paces the requests; this optional cap over all vaults
    // (ROTATOR_RATE_LIMIT) only brakes rotations started, however many replicas run.
    ...(config.rateLimit !== undefined && {
      limiter: { max: config.rateLimit.max, duration: config.rateLimit.per.ms },
    }),
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        retryDelayMs(attemptsMade, error, { baseMs: config.retryBackoff.ms, maxMs: 10 * 60_000 }),
    },
    lockDuration: 60_000,
    // A job whose daemon died mid-rotation "stalls" and is resumed; BullMQ fails it on its second
    // stall by default, and its deterministic id then keeps the sweep from ever queueing it again.
    // Re-running is safe (trigger check, pending record), so a crash counts like a failed attempt.
    maxStalledCount: config.maxAttempts,
  });
}

/** The usage listener's dependencies: the queue's worker and the access API record usages with them. */
export function usageListenerDeps({ deps, redis, queues, defaults }: WorkersInput): UsageListenerDeps {
  const { config, logger, clock, stores } = deps;
  return {
    stores,
    scheduler: queues.scheduler,
    tagLock: new RedisRotationLock(redis, { prefix: `${config.queuePrefix}:checkout`, leaseMs: 10_000 }),
    clock,
    grace: defaults.grace,
    logger,
    sleep,
    around: deps.instrumentUsage,
    currentTraceparent: deps.currentTraceparent,
    retryBackoffMs: config.retryBackoff.ms,
  };
}

function usageWorker(input: WorkersInput, connection: { connection: Redis; prefix: string }) {
  const processor = createUsageProcessor(usageListenerDeps(input));
  const { config } = input.deps;
  // A checkout cut short by a crash is recorded again (idempotent); failing it would lose it.
  return new Worker(QUEUE.usage, processor, {
    ...connection,
    concurrency: 8,
    maxStalledCount: config.maxAttempts,
  });
}

function sweepWorker(
  { deps, queues, defaults }: WorkersInput,
  connection: { connection: Redis; prefix: string },
) {
  const { logger, clock, stores } = deps;
  const sweepDeps = {
    stores,
    scheduler: queues.scheduler,
    retirements: queues.retirements,
    outcomes: queues.outcomes,
    clock,
    defaults,
    logger,
    observe: deps.observe,
    onDecision: deps.onDecision,
    publish: (snapshot: FleetSnapshot) => queues.fleet.write(snapshot),
  };
  const sweep = async (): Promise<SweepSummary> => {
    const run = (): Promise<SweepSummary> => sweepVaults(sweepDeps);
    const summary = await (deps.instrumentSweep === undefined ? run() : deps.instrumentSweep(run));
    logger.info({ ...summary }, 'sweep done');
    return summary;
  };
  return new Worker(QUEUE.sweeps, sweep, { ...connection, concurrency: 1 });
}

/**
 * The rotation workers, the usage-event listener and the sweep's worker. Draining lets running jobs
 * finish; `worker.close()` has no bound, so stopping after the daemon's timeout forces the close (a
 * rotation left unfinished is safe: pending record and lease expiry).
 */
export function startWorkers(input: WorkersInput): DaemonPart {
  const connection = { connection: input.redis, prefix: input.deps.config.queuePrefix };
  const workers = {
    rotations: rotationWorker(input, connection),
    'usage-events': usageWorker(input, connection),
    sweeps: sweepWorker(input, connection),
  };
  for (const [queue, worker] of Object.entries(workers)) {
    worker.on('error', (error) => input.deps.logger.error({ queue, err: error.message }, 'worker error'));
  }
  const all = Object.values(workers);
  let drained = false;
  return {
    name: 'workers',
    drain: async () => {
      await Promise.all(all.map((w) => w.close()));
      drained = true;
    },
    stop: async () => {
      if (!drained) await Promise.all(all.map((w) => w.close(true)));
    },
  };
}
