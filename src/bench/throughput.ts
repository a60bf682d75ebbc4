import { queueManualRotations, seedKeyVaultSecrets, startRig } from './rig';
import { requestCount, round } from './stats';

export interface Throughput {
  concurrency: number;
  rotations: number;
  /** Sequential-batch `setSecret` calls per second through the same adapter, in the same run. */
  rawSetsPerSecond: number;
  rotationsPerSecond: number;
  requestsPerSecondWhileRotating: number;
  /** rotations/s ÷ raw sets/s: a keyvault rotation costs a GET and a PUT, so 0.5 is the ceiling. */
  ratio: number;
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
  /** Requests sent ÷ requests the budget allowed over the run. */
  budgetUsedPercent: number;
  rotationsPerSecond: number;
}

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
    // Seeding is the raw measurement: the same adapter, the same concurrency, one PUT per call.
    const seedStart = performance.now();
    const names = await seedKeyVaultSecrets(rig.store, 'tp', opts.rotations, opts.concurrency);
    const rawSetsPerSecond = opts.rotations / ((performance.now() - seedStart) / 1000);
    await rig.startDaemon();
    await rig.admin.resetCounters();
    const start = performance.now();
    await queueManualRotations(rig, names);
    const done = await rig.waitForRotations(names.length);
    const seconds = (performance.now() - start) / 1000;
    if (done.failed > 0) throw new Error(`${done.failed} rotations failed during the throughput bench`);
    const requests = requestCount(await rig.admin.counters());
    const rotationsPerSecond = names.length / seconds;
    return {
      concurrency: opts.concurrency,
      rotations: names.length,
      rawSetsPerSecond: round(rawSetsPerSecond),
      rotationsPerSecond: round(rotationsPerSecond),
      requestsPerSecondWhileRotating: round(requests / seconds),
      ratio: round(rotationsPerSecond / rawSetsPerSecond, 2),
    };
  } finally {
    await rig.close();
  }
}

export type LimitMode = 'none' | 'per-window' | 'smoothed';

/**
 * ROTATOR_RATE_LIMIT for 90% of a vault budget. BullMQ's limiter counts fixed windows while Key Vault
 * (and the emulator) count a sliding one, so "N per window" can put 2N into one sliding window at a
 * window edge; stating the same rate over a tenth of the window bounds any sliding window to 11/10 of
 * it, i.e. 99% of the budget.
 */
export function rateLimitFor(
  mode: LimitMode,
  budget: number,
  windowMs: number,
  requestsPerRotation: number,
): string {
  const perWindow = (budget * 0.9) / requestsPerRotation;
  if (mode === 'none') return '100000/PT1S';
  if (mode === 'per-window') return `${Math.max(1, Math.floor(perWindow))}/PT${windowMs / 1000}S`;
  return `${Math.max(1, Math.floor(perWindow / 10))}/PT${windowMs / 10_000}S`;
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
    const done = await rig.waitForRotations(names.length, 600_000);
    const seconds = (performance.now() - start) / 1000;
    const counters = await rig.admin.counters();
    await rig.admin.setFaults({});
    if (done.failed > 0) throw new Error(`${done.failed} rotations failed under throttling`);
    const requests = requestCount(counters);
    const allowed = opts.budget * Math.max(1, seconds / (opts.windowMs / 1000));
    return {
      budget: opts.budget,
      windowMs: opts.windowMs,
      mode: opts.mode,
      rateLimit: opts.mode === 'none' ? 'none' : rateLimit,
      rotations: names.length,
      seconds: round(seconds),
      requests,
      throttled: counters.throttled ?? 0,
      budgetUsedPercent: round((100 * (requests - (counters.throttled ?? 0))) / allowed),
      rotationsPerSecond: round(names.length / seconds),
    };
  } finally {
    await rig.close();
  }
}
