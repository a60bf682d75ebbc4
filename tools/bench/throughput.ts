import { readFileSync } from 'node:fs';
import { SecretClient } from '@azure/keyvault-secrets';
import { clientOptionsTrusting, staticTokenCredential } from '../../src/vault';
import { queueManualRotations, seedKeyVaultSecrets, startRig, type Rig } from './rig';
import { requestCount, round } from './stats';

export interface Throughput {
  concurrency: number;
  rotations: number;
  /** `SecretClient.setSecret` calls per second, `concurrency` loops at once, in the same run. */
  rawSetsPerSecond: number;
  rotationsPerSecond: number;
  requestsPerSecondWhileRotating: number;
  /** rotations/s ÷ raw sets/s: a keyvault rotation costs a GET, a PUT and a version list, so below 0.5. */
  ratio: number;
  /**
   * The bench process's CPU (emulator, SDK client and daemon share it) per raw set and per rotation, and
   * their ratio: what the wall-clock ratio would be on an idle machine, less moved by other load on it.
   */
  cpuUsPerRawSet: number;
  cpuUsPerRotation: number;
  cpuRatio: number;
}

export interface Throttled {
  mode: LimitMode;
  budget: number;
  windowMs: number;
  rateLimit: string;
  rotations: number;
  seconds: number;
  requests: number;
  throttled: number;
  /**
   * Requests served per second ÷ the budget's rate, in the steady state: between the moments a quarter
   * and three quarters of the rotations had finished (the first window's burst and the tail left out).
   */
  budgetUsedPercent: number;
  rotationsPerSecond: number;
}

/**
 * The emulator's raw write rate: `concurrency` loops calling `SecretClient.setSecret` back to back
 * (a client of its own, configured as the daemon's), after one warm-up call that meets the challenge.
 */
async function rawSetsPerSecond(
  rig: Rig,
  sets: number,
  concurrency: number,
): Promise<{ perSecond: number; cpuUs: number }> {
  const client = new SecretClient(
    rig.store.vaultUrl,
    staticTokenCredential('bench'),
    clientOptionsTrusting(readFileSync(rig.config.vaultCaFile ?? '', 'utf8'), {
      disableChallengeResourceVerification: true,
    }),
  );
  await client.setSecret('raw-warm-up', 'warm-up');
  let next = 0;
  const loop = async (): Promise<void> => {
    for (let i = next++; i < sets; i = next++) await client.setSecret(`raw-${i}`, `Raw-value-${i}`);
  };
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { perSecond: sets / ((performance.now() - start) / 1000), cpuUs: cpuMicros(cpu) / sets };
}

/** This process's CPU (user + system, all its threads) since `from`. */
const cpuMicros = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return used.user + used.system;
};

/** Rotation throughput against the emulator, next to the emulator's raw set-secret throughput. */
export async function rotationThroughput(opts: {
  redisDb: number;
  rotations: number;
  concurrency: number;
}): Promise<Throughput> {
  const rig = await startRig({
    redisDb: opts.redisDb,
    env: { ROTATOR_WORKER_CONCURRENCY: String(opts.concurrency) },
  });
  try {
    const names = await seedKeyVaultSecrets(rig.store, 'tp', opts.rotations, opts.concurrency);
    const raw = await rawSetsPerSecond(rig, opts.rotations, opts.concurrency);
    await rig.startDaemon();
    await rig.admin.resetCounters();
    const start = performance.now();
    const cpu = process.cpuUsage();
    await queueManualRotations(rig, names);
    const done = await rig.waitForRotations(names.length);
    const seconds = (performance.now() - start) / 1000;
    const cpuUsPerRotation = cpuMicros(cpu) / names.length;
    if (done.failed > 0) throw new Error(`${done.failed} rotations failed during the throughput bench`);
    const requests = requestCount(await rig.admin.counters());
    const rotationsPerSecond = names.length / seconds;
    return {
      concurrency: opts.concurrency,
      rotations: names.length,
      rawSetsPerSecond: round(raw.perSecond),
      rotationsPerSecond: round(rotationsPerSecond),
      requestsPerSecondWhileRotating: round(requests / seconds),
      ratio: round(rotationsPerSecond / raw.perSecond, 2),
      cpuUsPerRawSet: round(raw.cpuUs, 0),
      cpuUsPerRotation: round(cpuUsPerRotation, 0),
      cpuRatio: round(raw.cpuUs / cpuUsPerRotation, 2),
    };
  } finally {
    await rig.close();
  }
}

export type LimitMode = 'none' | 'per-window' | 'smoothed' | 'fitted';

export const LIMIT_MODES: readonly LimitMode[] = ['none', 'per-window', 'smoothed', 'fitted'];

/**
 * ROTATOR_RATE_LIMIT for a vault budget of `budget` requests per sliding `windowMs`. BullMQ's limiter
 * counts fixed windows (max M per period P) while Key Vault (and the emulator) count a sliding one:
 * a sliding window of k·P overlaps k+1 limiter periods, so it can see (k+1)·M rotations.
 * - per-window: 90% of the budget per whole window (k = 1): up to 2× the budget at a window edge.
 * - smoothed: 90% of the budget stated over a tenth of the window (k = 10): at most 99% of it.
 * - fitted: the period (a whole number of ms dividing the window) and M that give the highest
 *   steady rate k·M with (k+1)·M·requestsPerRotation ≤ budget: never over, as close as whole
 *   numbers allow.
 */
export function rateLimitFor(
  mode: LimitMode,
  budget: number,
  windowMs: number,
  requestsPerRotation: number,
): string {
  const seconds = (ms: number): string => `PT${ms / 1000}S`;
  const perWindow = (budget * 0.9) / requestsPerRotation;
  if (mode === 'none') return '100000/PT1S';
  if (mode === 'per-window') return `${Math.max(1, Math.floor(perWindow))}/${seconds(windowMs)}`;
  if (mode === 'smoothed') return `${Math.max(1, Math.floor(perWindow / 10))}/${seconds(windowMs / 10)}`;
  let best = { k: 1, max: 1, rate: 0 };
  for (let k = 1; k <= 50; k += 1) {
    if (windowMs % k !== 0) continue;
    const max = Math.floor(budget / ((k + 1) * requestsPerRotation));
    if (max >= 1 && k * max > best.rate) best = { k, max, rate: k * max };
  }
  return `${best.max}/${seconds(windowMs / best.k)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests the vault served: not refused with a 429, not the challenge's 401. */
const served = (counters: Record<string, number>): number =>
  requestCount(counters) - (counters.throttled ?? 0) - (counters.unauthorized ?? 0);

/** Served requests per second between a quarter and three quarters of `total` rotations finished. */
async function steadyServedPerSecond(rig: Rig, total: number): Promise<{ rate: number; seconds: number }> {
  const marks: Array<{ at: number; served: number }> = [];
  for (const fraction of [0.25, 0.75]) {
    for (;;) {
      const counts = await rig.rotations.getJobCounts('completed', 'failed');
      if ((counts.completed ?? 0) + (counts.failed ?? 0) >= Math.ceil(total * fraction)) break;
      await sleep(10);
    }
    marks.push({ at: performance.now(), served: served(await rig.admin.counters()) });
  }
  const [from, to] = marks;
  const seconds = from === undefined || to === undefined ? 0 : (to.at - from.at) / 1000;
  return { rate: seconds > 0 ? ((to?.served ?? 0) - (from?.served ?? 0)) / seconds : Number.NaN, seconds };
}

/** The emulator throttled like a vault (a request budget per sliding window), under each limiter setting. */
export async function throttledThroughput(opts: {
  redisDb: number;
  rotations: number;
  budget: number;
  windowMs: number;
  requestsPerRotation: number;
  mode: LimitMode;
}): Promise<Throttled> {
  const rateLimit = rateLimitFor(opts.mode, opts.budget, opts.windowMs, opts.requestsPerRotation);
  const rig = await startRig({
    redisDb: opts.redisDb,
    env: { ROTATOR_WORKER_CONCURRENCY: '8', ROTATOR_RATE_LIMIT: rateLimit },
  });
  try {
    const names = await seedKeyVaultSecrets(rig.store, 'th', opts.rotations, 8);
    await rig.startDaemon();
    await rig.admin.setFaults({ throttleBudget: opts.budget, throttleWindowMs: opts.windowMs });
    await rig.admin.resetCounters();
    const start = performance.now();
    await queueManualRotations(rig, names);
    const steady = await steadyServedPerSecond(rig, names.length);
    const done = await rig.waitForRotations(names.length, 600_000);
    const seconds = (performance.now() - start) / 1000;
    const counters = await rig.admin.counters();
    await rig.admin.setFaults({});
    if (done.failed > 0) throw new Error(`${done.failed} rotations failed under throttling`);
    const requests = requestCount(counters);
    // A steady state shorter than one window (the smoke size) says little: the whole run stands in.
    const rate = steady.seconds * 1000 >= opts.windowMs ? steady.rate : served(counters) / seconds;
    return {
      budget: opts.budget,
      windowMs: opts.windowMs,
      mode: opts.mode,
      rateLimit: opts.mode === 'none' ? 'none' : rateLimit,
      rotations: names.length,
      seconds: round(seconds),
      requests,
      throttled: counters.throttled ?? 0,
      budgetUsedPercent: round((100 * rate) / (opts.budget / (opts.windowMs / 1000))),
      rotationsPerSecond: round(names.length / seconds),
    };
  } finally {
    await rig.close();
  }
}
