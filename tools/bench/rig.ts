import { readFileSync } from 'node:fs';
import { Duration } from 'luxon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { systemClock } from '../../src/clock';
import { loadConfig, type Config } from '../../src/config';
import { startDaemon, type RunningDaemon } from '../../src/daemon';
import { startEmulator, type FaultOptions, type RunningEmulator } from '../../src/emulator';
import { QUEUE, RotationScheduler, scheduleHorizon, type RotationJobData } from '../../src/scheduling';
import type { TargetLookup } from '../../src/rotation';
import { createTargetRegistry } from '../../src/targets';
import { createSecretStores, type SecretStore } from '../../src/vault';
import { emulatorAdmin, type EmulatorAdmin } from './emulator-admin';
import { deleteKeysUnder } from './redis-keys';
import { TAG } from '../../src/tags';

export interface RigOptions {
  redisDb: number;
  /** Extra daemon environment (rate limit, concurrency, grace…). */
  env?: Record<string, string>;
  faults?: FaultOptions;
  /** An emulator already running (a child process holding many secrets); default: one in-process. */
  vault?: { url: string; caFile: string };
  /** Targets instead of the registry's (the bench's fake Entra directory); given the registry as fallback. */
  targets?(registry: TargetLookup): TargetLookup;
}

/** One emulator, one Redis database and the rotator's own parts wired as `rotator daemon` wires them. */
export interface Rig {
  config: Config;
  store: SecretStore;
  admin: EmulatorAdmin;
  redis: Redis;
  rotations: Queue<RotationJobData>;
  usage: Queue;
  scheduler: RotationScheduler;
  prefix: string;
  startDaemon(): Promise<RunningDaemon>;
  /**
   * Waits until `count` rotation jobs have completed or failed; polls Redis only (every `pollMs`,
   * default 20), never the vault.
   */
  waitForRotations(
    count: number,
    options?: { timeoutMs?: number; pollMs?: number },
  ): Promise<{ completed: number; failed: number }>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRig(options: RigOptions): Promise<Rig> {
  let emulator: RunningEmulator | undefined;
  const vault =
    options.vault ??
    (emulator = await startEmulator({ port: 0, ...(options.faults && { faults: options.faults }) }));
  const prefix = `bench-${process.pid}-${Date.now().toString(36)}`;
  const redisUrl = `redis://127.0.0.1:6379/${options.redisDb}`;
  const config = loadConfig({
    ROTATOR_VAULT_URL: vault.url,
    ROTATOR_VAULT_CA_FILE: vault.caFile,
    ROTATOR_VAULT_TOKEN: 'bench',
    REDIS_URL: redisUrl,
    ROTATOR_QUEUE_PREFIX: prefix,
    ROTATOR_SWEEP_INTERVAL: 'PT1H',
    ROTATOR_RATE_LIMIT: '100000/PT1S',
    ROTATOR_RETRY_BACKOFF: 'PT0.2S',
    ROTATOR_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const [store] = createSecretStores(config);
  if (store === undefined) throw new Error('no vault configured');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const connection = { url: redisUrl };
  const rotations = new Queue<RotationJobData>(QUEUE.rotations, { connection, prefix });
  const usage = new Queue(QUEUE.usage, { connection, prefix });
  const scheduler = new RotationScheduler(rotations, redis, prefix, systemClock, {
    attempts: config.maxAttempts,
    horizon: scheduleHorizon(Duration.fromMillis(config.sweepInterval.ms)),
  });
  const daemons: RunningDaemon[] = [];
  return {
    config,
    store,
    admin: emulatorAdmin(vault.url, readFileSync(vault.caFile, 'utf8')),
    redis,
    rotations,
    usage,
    scheduler,
    prefix,
    startDaemon: async () => {
      const daemon = await startDaemon({
        config,
        stores: [store],
        targets: options.targets?.(createTargetRegistry(config)) ?? createTargetRegistry(config),
        logger: pino({ level: 'silent' }),
        clock: systemClock,
        healthPort: 0,
        lockedRetryMs: 200,
      });
      daemons.push(daemon);
      // The first sweep runs at start; let it finish so it is not counted against rotations.
      const sweeps = new Queue(QUEUE.sweeps, { connection, prefix });
      while (((await sweeps.getJobCounts('completed')).completed ?? 0) < 1) await sleep(50);
      await sweeps.close();
      return daemon;
    },
    waitForRotations: (count, options) => waitForJobs(rotations, count, options),
    close: async () => {
      for (const daemon of daemons) await daemon.stop();
      await rotations.close();
      await usage.close();
      await deleteKeysUnder(redis, prefix);
      redis.disconnect();
      await emulator?.close();
    },
  };
}

/** Waits until `count` jobs of `queue` have completed or failed, polling Redis every `pollMs`. */
export async function waitForJobs(
  queue: Queue,
  count: number,
  { timeoutMs = 300_000, pollMs = 20 }: { timeoutMs?: number; pollMs?: number } = {},
): Promise<{ completed: number; failed: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    const done = { completed: counts.completed ?? 0, failed: counts.failed ?? 0 };
    if (done.completed + done.failed >= count) return done;
    if (Date.now() > deadline) throw new Error(`only ${done.completed + done.failed}/${count} jobs finished`);
    await sleep(pollMs);
  }
}

/** Queues one manual rotation per secret, as `rotator rotate` does. */
export async function queueManualRotations(
  rig: Rig,
  names: readonly string[],
  scheduler: RotationScheduler = rig.scheduler,
): Promise<void> {
  const now = systemClock.now();
  await scheduler.add(
    names.map((name) =>
      scheduler.plan('manual', rig.store.vaultUrl, name, {
        triggeredAt: now,
        dueAt: now,
        idStamp: now,
      }),
    ),
  );
}

/** Creates keyvault-target secrets, `concurrency` at a time. */
export async function seedKeyVaultSecrets(
  store: SecretStore,
  prefix: string,
  count: number,
  concurrency = 32,
): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await inBatches(names, concurrency, (name) =>
    store.set(name, `Initial-${name}-1`, { tags: { [TAG.target]: 'keyvault' } }),
  );
  return names;
}

export async function inBatches<T>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}
