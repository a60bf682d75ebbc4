import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Duration } from 'luxon';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { QUEUE, RotationScheduler, scheduleHorizon, type RotationJobData } from '../../src/scheduling';
import { createSecretStores, type SecretStore } from '../../src/vault';
import { emulatorAdmin, type EmulatorAdmin } from './emulator-admin';
import { freePort, startRotator, type Child } from './processes';
import { deleteKeysUnder } from './redis-keys';
import { seedKeyVaultSecrets } from './rig';
import { round } from './stats';

/** One vault's figures in the several-vaults run. */
export interface VaultFigures {
  vault: string;
  rotations: number;
  writesServed: number;
  othersServed: number;
  throttled: number;
  /** Writes served per second in the steady state ÷ the vault's write budget rate, in %. */
  writeBudgetUsedPercent: number;
  othersBudgetUsedPercent: number;
}

export interface SeveralVaults {
  vaults: VaultFigures[];
  /** Per vault, per window: the emulator's and the rotator's budget alike. */
  writeBudget: number;
  otherBudget: number;
  windowMs: number;
  concurrency: number;
  replicas: number;
  seconds: number;
  steadySeconds: number;
}

const WRITE_OPS = new Set([
  'setSecret',
  'updateSecret',
  'deleteSecret',
  'recoverDeletedSecret',
  'purgeDeletedSecret',
  'backupSecret',
  'restoreSecret',
]);
const NOT_SERVED = new Set(['throttled', 'injected', 'unauthorized', 'badRequest']);

function served(counters: Record<string, number>): { writes: number; others: number } {
  let writes = 0;
  let others = 0;
  for (const [op, n] of Object.entries(counters)) {
    if (NOT_SERVED.has(op)) continue;
    if (WRITE_OPS.has(op)) writes += n;
    else others += n;
  }
  return { writes, others };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Vault {
  child: Child;
  url: string;
  caFile: string;
  admin: EmulatorAdmin;
  store: SecretStore;
  names: string[];
}

async function startVault(index: number, rotations: number): Promise<Vault> {
  const emulator = startRotator(['emulator', '--port', '0'], {});
  const { url, caFile } = (await emulator.firstJsonLine) as { url: string; caFile: string };
  const admin = emulatorAdmin(url, readFileSync(caFile, 'utf8'));
  const [store] = createSecretStores({ vaultUrls: [url], vaultCaFile: caFile, vaultToken: 'bench' });
  if (store === undefined) throw new Error('no store');
  // One request first: it meets the bearer challenge, which concurrent first writes can trip over.
  await store.ping();
  const names = await seedKeyVaultSecrets(store, `v${index}`, rotations, 16);
  return { child: emulator.child, url, caFile, admin, store, names };
}

/** Snapshots every vault's served counts at a quarter and three quarters of the rotations done. */
async function steadyMarks(
  rotations: Queue<RotationJobData>,
  vaults: readonly Vault[],
  total: number,
): Promise<Array<{ at: number; counts: Array<{ writes: number; others: number }> }>> {
  const marks = [];
  for (const fraction of [0.25, 0.75]) {
    for (;;) {
      const c = await rotations.getJobCounts('completed', 'failed');
      if ((c.completed ?? 0) + (c.failed ?? 0) >= Math.ceil(total * fraction)) break;
      await sleep(10);
    }
    const counts = await Promise.all(vaults.map(async (v) => served(await v.admin.counters())));
    marks.push({ at: performance.now(), counts });
  }
  return marks;
}

/** Queues one manual rotation per secret, the vaults interleaved as due secrets of several vaults would be. */
async function queueAll(scheduler: RotationScheduler, vaults: readonly Vault[]): Promise<void> {
  const now = systemClock.now();
  const longest = Math.max(...vaults.map((v) => v.names.length));
  const plans = [];
  for (let i = 0; i < longest; i += 1) {
    for (const v of vaults) {
      const name = v.names[i];
      if (name !== undefined)
        plans.push(scheduler.plan('manual', v.url, name, { triggeredAt: now, dueAt: now, idStamp: now }));
    }
  }
  await scheduler.add(plans);
}

export interface SeveralVaultsOptions {
  redisDb: number;
  /** Rotations per vault. */
  rotations: number;
  vaults: number;
  writeBudget: number;
  otherBudget: number;
  windowMs: number;
  /** Per replica. */
  concurrency: number;
  /** `rotator daemon` processes sharing the budgets through Redis. */
  replicas: number;
}

function daemonEnv(opts: SeveralVaultsOptions, vaults: readonly Vault[], redisUrl: string, prefix: string) {
  const window = `PT${opts.windowMs / 1000}S`;
  // Each emulator made its own CA: the daemon trusts the bundle of the three.
  const dir = mkdtempSync(join(tmpdir(), 'rotator-bench-vaults-'));
  const caBundle = join(dir, 'ca-bundle.pem');
  writeFileSync(caBundle, vaults.map((v) => readFileSync(v.caFile, 'utf8')).join('\n'));
  return {
    ROTATOR_VAULT_URL: vaults.map((v) => v.url).join(','),
    ROTATOR_VAULT_CA_FILE: caBundle,
    ROTATOR_VAULT_TOKEN: 'bench',
    REDIS_URL: redisUrl,
    ROTATOR_QUEUE_PREFIX: prefix,
    ROTATOR_SWEEP_INTERVAL: 'PT1H',
    ROTATOR_LOG_LEVEL: 'warn',
    ROTATOR_WORKER_CONCURRENCY: String(opts.concurrency),
    ROTATOR_VAULT_BUDGETS: JSON.stringify({
      default: { writes: opts.writeBudget, others: opts.otherBudget, window },
    }),
  };
}

function figures(
  opts: SeveralVaultsOptions,
  vault: Vault,
  index: number,
  marks: Awaited<ReturnType<typeof steadyMarks>>,
  counters: Record<string, number>,
): VaultFigures {
  const [from, to] = marks;
  const seconds = from === undefined || to === undefined ? Number.NaN : (to.at - from.at) / 1000;
  const delta = (k: 'writes' | 'others'): number =>
    (to?.counts[index]?.[k] ?? 0) - (from?.counts[index]?.[k] ?? 0);
  const perSecond = (budget: number): number => budget / (opts.windowMs / 1000);
  const total = served(counters);
  return {
    vault: `vault ${index + 1}`,
    rotations: vault.names.length,
    writesServed: total.writes,
    othersServed: total.others,
    throttled: counters.throttled ?? 0,
    writeBudgetUsedPercent: round((100 * delta('writes')) / seconds / perSecond(opts.writeBudget)),
    othersBudgetUsedPercent: round((100 * delta('others')) / seconds / perSecond(opts.otherBudget)),
  };
}

/**
 * Several vaults rotated at once by `rotator daemon` replicas (processes of their own, wired as an
 * operator runs them, sharing the budgets through Redis): each vault an emulator process of its own, throttled like Key Vault (writes and other
 * operations, each its own sliding budget), the rotator given the same budgets.
 */
export async function severalVaults(opts: SeveralVaultsOptions): Promise<SeveralVaults> {
  const redisUrl = `redis://127.0.0.1:6379/${opts.redisDb}`;
  const prefix = `bench-vaults-${process.pid}-${Date.now().toString(36)}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const rotations = new Queue<RotationJobData>(QUEUE.rotations, { connection: { url: redisUrl }, prefix });
  const vaults: Vault[] = [];
  const daemons: Array<ReturnType<typeof startRotator>> = [];
  let caDir: string | undefined;
  try {
    for (let i = 0; i < opts.vaults; i += 1) vaults.push(await startVault(i, opts.rotations));
    const env = {
      ...daemonEnv(opts, vaults, redisUrl, prefix),
      ROTATOR_HEALTH_PORT: String(await freePort()),
    };
    caDir = dirname(env.ROTATOR_VAULT_CA_FILE);
    const config = loadConfig(env);
    const scheduler = new RotationScheduler(rotations, redis, prefix, systemClock, {
      attempts: config.maxAttempts,
      horizon: scheduleHorizon(Duration.fromMillis(config.sweepInterval.ms)),
    });
    for (const v of vaults) {
      await v.admin.setFaults({
        writeBudget: opts.writeBudget,
        otherBudget: opts.otherBudget,
        throttleWindowMs: opts.windowMs,
      });
      await v.admin.resetCounters();
    }
    for (let i = 0; i < opts.replicas; i += 1)
      daemons.push(startRotator(['daemon'], { ...env, ROTATOR_HEALTH_PORT: String(await freePort()) }));
    const total = opts.rotations * opts.vaults;
    const start = performance.now();
    await queueAll(scheduler, vaults);
    const marks = await steadyMarks(rotations, vaults, total);
    for (;;) {
      const exited = daemons.find((d) => d.child.process.exitCode !== null);
      if (exited !== undefined) throw new Error(`daemon exited: ${exited.child.output()}`);
      const c = await rotations.getJobCounts('completed', 'failed');
      if ((c.completed ?? 0) + (c.failed ?? 0) >= total) {
        if ((c.failed ?? 0) > 0) throw new Error(`${c.failed ?? 0} rotations failed`);
        break;
      }
      await sleep(20);
    }
    const seconds = (performance.now() - start) / 1000;
    const counters = await Promise.all(vaults.map((v) => v.admin.counters()));
    const [from, to] = marks;
    return {
      vaults: vaults.map((v, i) => figures(opts, v, i, marks, counters[i] ?? {})),
      writeBudget: opts.writeBudget,
      otherBudget: opts.otherBudget,
      windowMs: opts.windowMs,
      concurrency: opts.concurrency,
      replicas: opts.replicas,
      seconds: round(seconds),
      steadySeconds: round(((to?.at ?? 0) - (from?.at ?? 0)) / 1000),
    };
  } finally {
    for (const d of daemons) await d.child.stop();
    for (const v of vaults) await v.child.stop();
    await rotations.close();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    if (caDir !== undefined) rmSync(caDir, { recursive: true, force: true });
  }
}
