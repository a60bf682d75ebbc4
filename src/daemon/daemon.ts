import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Duration } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock';
import type { Config } from '../config';
import { RotatorError } from '../errors';
import { startHealthServer, type HealthServer } from '../health/health-server';
import { RedisRotationLock } from '../locking/redis-rotation-lock';
import { rotateSecret, type RotationDeps, type RotationResult } from '../rotation';
import { retryDelayMs } from '../scheduling/backoff';
import type { RotationJobData } from '../scheduling/job-data';
import { OutcomeStore } from '../scheduling/outcome-store';
import { QUEUE, SWEEP_SCHEDULER_ID } from '../scheduling/queues';
import { RotationScheduler } from '../scheduling/rotation-scheduler';
import { createRotationProcessor, type RotateFn } from '../scheduling/rotation-worker';
import { sweepVaults, type SweepDeps, type SweepSummary } from '../scheduling/sweep';
import { createUsageProcessor, type UsageListenerDeps } from '../scheduling/usage-listener';
import type { TargetLookup } from '../rotation';
import type { SecretStore } from '../vault';
import { checkEvictionPolicy } from './redis-eviction';

export interface DaemonDeps {
  config: Config;
  stores: readonly SecretStore[];
  targets: TargetLookup;
  logger: Logger;
  clock: Clock;
  /** Wraps one rotation (tracing, metrics, audit); `run` takes the step hook to pass to the engine. */
  instrumentRotation?(
    run: (onStep?: RotationDeps['onStep']) => Promise<RotationResult>,
    request: Parameters<RotateFn>[0],
    job: Parameters<RotateFn>[2],
  ): Promise<RotationResult>;
  /** Wraps one sweep (tracing). */
  instrumentSweep?(run: () => Promise<SweepSummary>): Promise<SweepSummary>;
  observe?: SweepDeps['observe'];
  onDecision?: SweepDeps['onDecision'];
  instrumentUsage?: UsageListenerDeps['around'];
  currentTraceparent?: UsageListenerDeps['currentTraceparent'];
  /** How long a job waits when another worker holds the lock. */
  lockedRetryMs?: number;
  healthHost?: string;
  /** Overrides ROTATOR_HEALTH_PORT (tests pass 0 for a free port). */
  healthPort?: number;
}

export interface RunningDaemon {
  healthPort: number;
  /** Stops taking work, lets running rotations finish within the shutdown timeout, closes everything. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `rotator daemon`: rotation workers, the usage-event listener and the sweep, on one Redis shared by
 * any number of replicas. Every piece is safe to run on several replicas at once: job ids are
 * deterministic, the sweep's scheduler has a fixed key, and the per-secret lock is in Redis.
 */
export async function startDaemon(deps: DaemonDeps): Promise<RunningDaemon> {
  const { config, logger, clock, stores } = deps;
  if (stores.length === 0) {
    throw new RotatorError('CONFIG_INVALID', 'no vault is configured', {
      hint: 'set ROTATOR_VAULT_URL to one or more Key Vault URLs (comma-separated)',
      exitCode: 2,
    });
  }
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new RotatorError(
      'CONFIG_INVALID',
      `Redis at ${config.redisUrl.replace(/\/\/([^@/]*)@/, '//***@')} is not reachable`,
      {
        hint: 'start Redis (redis-server --daemonize yes) or fix REDIS_URL',
        cause: error,
      },
    );
  }
  try {
    await checkEvictionPolicy(redis, config.evictionPolicyCheck, logger);
  } catch (error) {
    redis.disconnect();
    throw error;
  }

  const prefix = config.queuePrefix;
  const connection = redis;
  const rotations = new Queue<RotationJobData>(QUEUE.rotations, { connection, prefix });
  const sweeps = new Queue(QUEUE.sweeps, { connection, prefix });
  const outcomes = new OutcomeStore(redis, prefix);
  const scheduler = new RotationScheduler(rotations, redis, prefix, clock, { attempts: config.maxAttempts });
  const lock = new RedisRotationLock(redis, { prefix });
  const engineDeps: Omit<RotationDeps, 'store'> = {
    target: deps.targets,
    lock,
    clock,
    newRotationId: () => randomUUID(),
    verifyAttempts: 5,
    verifyDelayMs: 1_000,
    sleep,
  };
  const rotate: RotateFn = (request, store, job) => {
    const run = (onStep?: RotationDeps['onStep']): Promise<RotationResult> =>
      rotateSecret(request, { ...engineDeps, store, onStep });
    return deps.instrumentRotation === undefined ? run() : deps.instrumentRotation(run, request, job);
  };
  const defaults = {
    interval: Duration.fromMillis(config.rotationInterval.ms),
    grace: Duration.fromMillis(config.usageGrace.ms),
  };
  const workerConnection = { connection, prefix };
  const rotationWorker = new Worker<RotationJobData>(
    QUEUE.rotations,
    createRotationProcessor({
      stores,
      rotate,
      outcomes,
      clock,
      logger,
      lockedRetryMs: deps.lockedRetryMs ?? 2_000,
    }),
    {
      ...workerConnection,
      concurrency: config.workerConcurrency,
      // A global limit: a burst of due secrets cannot storm the vault, however many replicas run.
      limiter: { max: config.rateLimit.max, duration: config.rateLimit.per.ms },
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          retryDelayMs(attemptsMade, error, { baseMs: config.retryBackoff.ms, maxMs: 10 * 60_000 }),
      },
      lockDuration: 60_000,
      // A job whose daemon died mid-rotation "stalls" and is resumed; BullMQ fails it on its second
      // stall by default, and its deterministic id then keeps the sweep from ever queueing it again.
      // Re-running is safe (trigger check, pending record), so a crash counts like a failed attempt.
      maxStalledCount: config.maxAttempts,
    },
  );
  const usageWorker = new Worker(
    QUEUE.usage,
    createUsageProcessor({
      stores,
      scheduler,
      tagLock: new RedisRotationLock(redis, { prefix: `${prefix}:checkout`, leaseMs: 10_000 }),
      clock,
      grace: defaults.grace,
      logger,
      sleep,
      around: deps.instrumentUsage,
      currentTraceparent: deps.currentTraceparent,
      retryBackoffMs: config.retryBackoff.ms,
    }),
    // A checkout cut short by a crash is recorded again (idempotent); failing it would lose it.
    { ...workerConnection, concurrency: 8, maxStalledCount: config.maxAttempts },
  );
  const sweepDeps: SweepDeps = {
    stores,
    scheduler,
    outcomes,
    clock,
    defaults,
    logger,
    observe: deps.observe,
    onDecision: deps.onDecision,
  };
  const sweepWorker = new Worker(
    QUEUE.sweeps,
    async () => {
      const run = (): Promise<SweepSummary> => sweepVaults(sweepDeps);
      const summary = await (deps.instrumentSweep === undefined ? run() : deps.instrumentSweep(run));
      logger.info({ ...summary }, 'sweep done');
      return summary;
    },
    { ...workerConnection, concurrency: 1 },
  );
  for (const [name, worker] of [
    ['rotations', rotationWorker],
    ['usage-events', usageWorker],
    ['sweeps', sweepWorker],
  ] as const) {
    worker.on('error', (error) => logger.error({ queue: name, err: error.message }, 'worker error'));
  }

  const upsertSweep = async (): Promise<void> => {
    await sweeps.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: config.sweepInterval.ms },
      { name: 'sweep', opts: { removeOnComplete: 50, removeOnFail: 50 } },
    );
  };
  await upsertSweep();
  // Re-upserting is a no-op while the scheduler exists and recreates it after a Redis loss (FLUSHALL).
  const keepSweeping = setInterval(() => {
    upsertSweep().catch((error: unknown) =>
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not upsert the sweep scheduler',
      ),
    );
  }, config.sweepInterval.ms);
  keepSweeping.unref();

  let accepting = true;
  const checks: Record<string, () => Promise<void>> = {
    redis: async () => {
      await redis.ping();
    },
  };
  for (const store of stores) checks[store.vaultUrl] = () => store.ping();
  const health: HealthServer = await startHealthServer({
    port: deps.healthPort ?? config.healthPort,
    host: deps.healthHost,
    checks,
    accepting: () => accepting,
  });
  logger.info(
    {
      vaults: stores.map((s) => s.vaultUrl),
      healthPort: health.port,
      interval: config.rotationInterval.iso,
      grace: config.usageGrace.iso,
      sweep: config.sweepInterval.iso,
    },
    'daemon started',
  );

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    accepting = false;
    clearInterval(keepSweeping);
    const workers = [rotationWorker, usageWorker, sweepWorker];
    // worker.close() waits for running jobs without a bound; a rotation left unfinished is safe
    // (pending record + lease expiry), so after the timeout we force the close.
    const closed = Promise.all(workers.map((w) => w.close())).then(() => 'closed' as const);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), config.shutdownTimeout.ms);
    });
    const outcome = await Promise.race([closed, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.warn(
        { timeout: config.shutdownTimeout.iso },
        'running rotations did not finish in time; the next daemon resumes them',
      );
      await Promise.all(workers.map((w) => w.close(true)));
    }
    await Promise.all([rotations.close(), sweeps.close()]);
    await health.close();
    await redis.quit().catch(() => redis.disconnect());
    logger.info({ outcome }, 'daemon stopped');
  };
  return {
    healthPort: health.port,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
