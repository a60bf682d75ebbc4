import { Duration } from 'luxon';
import { RotatorError } from '../errors';
import { RedisRotationLock } from '../locking';
import { RedisRequestBudget } from '../redis';
import type { SecretStore } from '../vault';
import type { Redis } from 'ioredis';
import type { DaemonContext, DaemonDeps } from './daemon-deps';
import { drainParts, stopParts, type DaemonPart } from './daemon-part';
import { startHealth } from './health-part';
import { createLifecycle, type DaemonState, type Lifecycle } from './lifecycle';
import { openQueues, type QueuesPart } from './queues-part';
import { startRedis } from './redis-part';
import { startSweepSchedule } from './sweep-schedule';
import { createUsageRecorder } from '../scheduling';
import { startWorkers, usageListenerDeps, type WorkersInput } from './workers-part';

export interface RunningDaemon {
  healthPort: number;
  /** The port of each part that listens, by part name (`health server`, `access-api` when it runs). */
  ports: Readonly<Record<string, number>>;
  /** Where the daemon is in its life; `/readyz` reports the same. */
  state: () => DaemonState;
  /** Stops taking work, lets running rotations finish within the shutdown timeout, closes everything. */
  stop(): Promise<void>;
}

function requireVaults(stores: readonly SecretStore[]): void {
  if (stores.length === 0) {
    throw new RotatorError('CONFIG_INVALID', 'no vault is configured', {
      hint: 'set ROTATOR_VAULT_URL to one or more Key Vault URLs (comma-separated)',
      exitCode: 2,
    });
  }
}

/** The final telemetry flush comes after Redis is closed: at stop, hand it the snapshot as it is now. */
function fleetHandoff(deps: DaemonDeps, queues: QueuesPart): DaemonPart {
  return {
    name: 'fleet-handoff',
    stop: async () => {
      const last = await queues.fleet.readFigures().catch(() => undefined);
      deps.observeFleet?.(() => Promise.resolve(last));
    },
  };
}

type Defaults = WorkersInput['defaults'];

/** What the optional parts share with the daemon: its Redis, vaults, scheduler and usage recording. */
function partContext(deps: DaemonDeps, redis: Redis, queues: QueuesPart, defaults: Defaults): DaemonContext {
  const { config, clock, logger, stores } = deps;
  const recorder = createUsageRecorder(usageListenerDeps({ deps, redis, queues, defaults }));
  return {
    redis,
    prefix: config.queuePrefix,
    stores,
    scheduler: queues.scheduler,
    // Same Redis key namespace as the usage listener's lock: one tag writer per secret across both.
    tagLock: new RedisRotationLock(redis, { prefix: `${config.queuePrefix}:checkout`, leaseMs: 10_000 }),
    grace: defaults.grace,
    recordUsage: async (usage) => await recorder(usage),
    clock,
    logger,
  };
}

/** Meters the vault clients' requests in Redis until just before Redis closes. */
function bindBudget({ budget, config }: DaemonDeps, redis: Redis): DaemonPart {
  const limits = config.vaultBudgets;
  if (budget !== undefined && limits !== undefined)
    budget.bind(new RedisRequestBudget(redis, { prefix: config.queuePrefix, limits }));
  return { name: 'request-budget', stop: () => Promise.resolve(budget?.bind(undefined)) };
}

/** Starts the parts in order; the list holds what started, so a failure stops exactly those. */
async function startParts(deps: DaemonDeps, lifecycle: Lifecycle, parts: DaemonPart[]): Promise<number> {
  const { config, logger, clock, stores } = deps;
  const defaults: Defaults = {
    interval: Duration.fromMillis(config.rotationInterval.ms),
    grace: Duration.fromMillis(config.usageGrace.ms),
  };
  const redisPart = await startRedis(config, logger);
  parts.push(redisPart);
  const { redis } = redisPart;
  parts.push(bindBudget(deps, redis));
  const queues = openQueues(redis, config, clock);
  parts.push(queues);
  deps.observeFleet?.(() => queues.fleet.readFigures());
  parts.push(fleetHandoff(deps, queues));
  parts.push(startWorkers({ deps, redis, queues, defaults }));
  parts.push(await startSweepSchedule(queues.sweeps, config, logger));
  const context = partContext(deps, redis, queues, defaults);
  for (const start of deps.parts ?? []) parts.push(await start(context));
  const health = await startHealth({
    port: deps.healthPort ?? config.healthPort,
    host: deps.healthHost,
    redis,
    stores,
    state: lifecycle.state,
  });
  parts.push(health);
  return health.port;
}

/** The port of each part that listens, by name. */
function portsOf(parts: readonly DaemonPart[]): Record<string, number> {
  return Object.fromEntries(parts.flatMap((p) => (p.port === undefined ? [] : [[p.name, p.port] as const])));
}

/** Drains every part within the shutdown timeout, then stops them all. */
async function shutdown(deps: DaemonDeps, lifecycle: Lifecycle, parts: DaemonPart[]): Promise<void> {
  const { config, logger } = deps;
  lifecycle.moveTo('draining', { timeout: config.shutdownTimeout.iso });
  const outcome = await drainParts(parts, config.shutdownTimeout.ms);
  if (outcome === 'timeout') {
    logger.warn(
      { timeout: config.shutdownTimeout.iso },
      'running rotations did not finish in time; the next daemon resumes them',
    );
  }
  await stopParts(parts);
  lifecycle.moveTo('stopped', { outcome: outcome === 'drained' ? 'closed' : 'timeout' });
  logger.info({ outcome: outcome === 'drained' ? 'closed' : 'timeout' }, 'daemon stopped');
}

/**
 * `rotator daemon`: rotation workers, the usage-event listener and the sweep, on one Redis shared by
 * any number of replicas. Every piece is safe to run on several replicas at once: job ids are
 * deterministic, the sweep's scheduler has a fixed key, and the per-secret lock is in Redis. This is
 * the composition root: each part is a module of its own with start and stop (see daemon-part.ts).
 */
export async function startDaemon(deps: DaemonDeps): Promise<RunningDaemon> {
  const { config, logger, stores } = deps;
  requireVaults(stores);
  const lifecycle = createLifecycle(logger);
  const parts: DaemonPart[] = [];
  let healthPort: number;
  try {
    healthPort = await startParts(deps, lifecycle, parts);
  } catch (error) {
    await stopParts(parts);
    lifecycle.moveTo('failed', { code: error instanceof RotatorError ? error.code : 'UNEXPECTED' });
    throw error;
  }
  const ports = portsOf(parts);
  lifecycle.moveTo('running', {
    vaults: stores.map((s) => s.vaultUrl),
    healthPort,
    parts: parts.map((p) => p.name),
  });
  logger.info(
    {
      vaults: stores.map((s) => s.vaultUrl),
      healthPort,
      ports,
      interval: config.rotationInterval.iso,
      grace: config.usageGrace.iso,
      sweep: config.sweepInterval.iso,
    },
    'daemon started',
  );
  let stopping: Promise<void> | undefined;
  return {
    healthPort,
    ports,
    state: lifecycle.state,
    stop: () => {
      stopping ??= shutdown(deps, lifecycle, parts);
      return stopping;
    },
  };
}
