import { readFileSync } from 'node:fs';
import { SecretClient } from '@azure/keyvault-secrets';
import { Queue, Worker } from 'bullmq';
import { Duration } from 'luxon';
import { systemClock } from '../../src/clock';
import { rotateSecret } from '../../src/rotation';
import { RotationScheduler, scheduleHorizon, type RotationJobData } from '../../src/scheduling';
import { forEachBounded } from '../../src/scheduling/bounded';
import { clientOptionsTrusting, staticTokenCredential } from '../../src/vault';
import { inBatches, queueManualRotations, seedKeyVaultSecrets, startRig, waitForJobs, type Rig } from './rig';
import { profiled } from './cpu-profile';
import { engineDeps, rotatedAndFollowedUp } from './steady-state';
import { percentile, requestCount, round } from './stats';

export interface Throughput {
  concurrency: number;
  rotations: number;
  /** `SecretClient.setSecret` calls per second, `concurrency` loops at once, in the same run. */
  rawSetsPerSecond: number;
  /** GET + PUT pairs per second through the rotator's vault adapter with nothing else: the floor. */
  floorPairsPerSecond: number;
  rotationsPerSecond: number;
  requestsPerSecondWhileRotating: number;
  /** Alternating rounds of raw sets, floor pairs and rotations, each round a slice of the secrets. */
  rounds: number;
  /**
   * rotations/s ÷ raw sets/s, the median over the rounds of each round's pair (a machine whose speed
   * drifts meets both sides of a pair alike): a rotation costs a GET and a PUT, so below 0.5.
   */
  ratio: number;
  /** The lowest and highest round's ratio: how much the machine moved during the run. */
  ratioRange: [number, number];
  /** Floor pairs/s ÷ raw sets/s (median of rounds): the most any rotation of a GET and a PUT can reach. */
  floorRatio: number;
  /** The rotation engine with its Redis lock called directly, `concurrency` loops, no queue: per second. */
  engineRotationsPerSecond: number;
  /** Engine rotations/s ÷ raw sets/s (median of rounds): the most a rotation that is queued can reach. */
  engineRatio: number;
  /** BullMQ jobs queued and run as rotations are (same options, `concurrency` at once) doing nothing: per second. */
  emptyJobsPerSecond: number;
  /**
   * Raw sets/s ÷ the rate of an engine rotation and an empty job done one after the other (their times
   * per secret added; median of rounds): the ceiling of a design with one queue job per rotation.
   */
  ceilingRatio: number;
  /** Rotations/s ÷ floor pairs/s (median of rounds): 1 would be a rotator adding no work of its own. */
  ofFloor: number;
  /**
   * The bench process's CPU (emulator, SDK client and daemon share it) per raw set, per floor pair and
   * per rotation, and raw ÷ rotation: what the wall-clock ratio would be on an otherwise idle machine.
   */
  cpuUsPerRawSet: number;
  cpuUsPerFloorPair: number;
  cpuUsPerRotation: number;
  cpuUsPerEngineRotation: number;
  cpuUsPerEmptyJob: number;
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

/** A client of its own, configured as the daemon's, that has met the challenge (one warm-up call). */
async function rawClient(rig: Rig): Promise<SecretClient> {
  const client = new SecretClient(
    rig.store.vaultUrl,
    staticTokenCredential('bench'),
    clientOptionsTrusting(readFileSync(rig.config.vaultCaFile ?? '', 'utf8'), {
      disableChallengeResourceVerification: true,
    }),
  );
  await client.setSecret('raw-warm-up', 'warm-up');
  return client;
}

interface Phase {
  seconds: number;
  cpuUs: number;
}

/** Wall seconds and this process's CPU (user + system, all its threads) µs of `phase`. */
async function measured(phase: () => Promise<unknown>): Promise<Phase> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await phase();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - start) / 1000, cpuUs: used.user + used.system };
}

const add = (sum: Phase, phase: Phase): void => {
  sum.seconds += phase.seconds;
  sum.cpuUs += phase.cpuUs;
};

/** `concurrency` loops calling `SecretClient.setSecret` back to back for `names`. */
function rawSets(client: SecretClient, names: readonly string[], concurrency: number): Promise<Phase> {
  return measured(() =>
    forEachBounded([...names.entries()], concurrency, async ([i, name]) => {
      await client.setSecret(name, `Raw-value-${i}`);
    }),
  );
}

/** Rounds of raw sets, floor pairs and rotations, alternated so a drift in the machine's speed meets all three. */
const ROUNDS = 10;

/** A GET and a PUT of each secret through the rotator's own vault adapter, `concurrency` loops: no rotator. */
function floorPairs(rig: Rig, names: readonly string[], concurrency: number): Promise<Phase> {
  return measured(() =>
    forEachBounded([...names.entries()], concurrency, async ([i, name]) => {
      const current = await rig.store.get(name);
      // Its tags kept, as a rotation's commit carries them.
      await rig.store.set(name, `Floor-value-${i}`, { tags: current?.tags ?? {} });
    }),
  );
}

/** The engine with its Redis lock, called directly for each secret, `concurrency` loops: no queue, no worker. */
function engineRotations(rig: Rig, names: readonly string[], concurrency: number): Promise<Phase> {
  const deps = engineDeps(rig);
  const triggeredAt = systemClock.now();
  return measured(() =>
    forEachBounded([...names], concurrency, async (secretName) => {
      await rotateSecret({ secretName, reason: 'manual', triggeredAt }, deps);
    }),
  );
}

/** A queue whose jobs are planned and run as rotations are, by a worker that does nothing. */
interface EmptyJobs {
  scheduler: RotationScheduler;
  queue: Queue<RotationJobData>;
  close(): Promise<void>;
}

function emptyJobs(rig: Rig, concurrency: number): EmptyJobs {
  const connection = { connection: rig.redis, prefix: rig.prefix };
  const queue = new Queue<RotationJobData>('bench-empty-jobs', connection);
  const worker = new Worker<RotationJobData>(
    'bench-empty-jobs',
    () => Promise.resolve({ outcome: 'satisfied', rotationId: undefined, version: undefined }),
    { ...connection, concurrency, lockDuration: 60_000 },
  );
  const scheduler = new RotationScheduler(queue, rig.redis, rig.prefix, systemClock, {
    attempts: rig.config.maxAttempts,
    horizon: scheduleHorizon(Duration.fromMillis(rig.config.sweepInterval.ms)),
  });
  return {
    scheduler,
    queue,
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}

/**
 * Rotation throughput against the emulator, next to the emulator's raw set-secret throughput and to
 * the floor (a GET and a PUT of the same secrets with no rotator around them). The secrets are in the
 * state a scheduled rotation meets (rotated before, that rotation's follow-up done). The three are
 * measured in alternating rounds; ratios are the median of the rounds' own, rates summed over them.
 */
export async function rotationThroughput(opts: {
  redisDb: number;
  rotations: number;
  concurrency: number;
  /** Writes a CPU profile of the last round of rotations (queueing to the last one done) to this file. */
  cpuProfile?: string;
  /** Where the profile's samples went is logged here. */
  log?: (line: string) => void;
}): Promise<Throughput> {
  const rig = await startRig({
    redisDb: opts.redisDb,
    env: { ROTATOR_WORKER_CONCURRENCY: String(opts.concurrency), ROTATOR_RATE_LIMIT: 'off' },
  });
  const empty = emptyJobs(rig, opts.concurrency);
  try {
    const names = await seedKeyVaultSecrets(rig.store, 'tp', opts.rotations, opts.concurrency);
    await rotatedAndFollowedUp(rig, names, opts.concurrency);
    // The floor's own secrets, tagged as a rotated one is (its PUTs on the rotated ones would add
    // versions the rotations would then have to list and disable).
    const tags = (await rig.store.get(names[0] ?? ''))?.tags ?? {};
    const floorNames = names.map((name) => `floor-${name}`);
    await inBatches(floorNames, opts.concurrency, (name) => rig.store.set(name, `Floor-${name}`, { tags }));
    // The engine's own secrets, in the same state as the rotated ones.
    const engineNames = await seedKeyVaultSecrets(rig.store, 'eng', opts.rotations, opts.concurrency);
    await rotatedAndFollowedUp(rig, engineNames, opts.concurrency);
    const client = await rawClient(rig);
    await rig.startDaemon();
    const inRound = <T>(items: readonly T[], r: number): T[] => items.filter((_, i) => i % ROUNDS === r);
    const rounds = Array.from({ length: ROUNDS }, (_, r) => inRound(names, r));
    const raw = { seconds: 0, cpuUs: 0 };
    const floor = { seconds: 0, cpuUs: 0 };
    const rotated = { seconds: 0, cpuUs: 0 };
    const engine = { seconds: 0, cpuUs: 0 };
    const jobs = { seconds: 0, cpuUs: 0 };
    const perRound = {
      ratio: [] as number[],
      floor: [] as number[],
      ofFloor: [] as number[],
      engine: [] as number[],
      ceiling: [] as number[],
    };
    let queued = 0;
    let failed = 0;
    let requests = 0;
    for (const [r, slice] of rounds.entries()) {
      const set = await rawSets(
        client,
        slice.map((name) => `raw-${name}`),
        opts.concurrency,
      );
      const pairs = await floorPairs(
        rig,
        slice.map((name) => `floor-${name}`),
        opts.concurrency,
      );
      const direct = await engineRotations(rig, inRound(engineNames, r), opts.concurrency);
      const nothing = await measured(async () => {
        await queueManualRotations(rig, slice, empty.scheduler);
        await waitForJobs(empty.queue, queued + slice.length, { pollMs: 10 });
      });
      await rig.admin.resetCounters();
      queued += slice.length;
      const rotateRound = async (): Promise<void> => {
        await queueManualRotations(rig, slice);
        failed = (await rig.waitForRotations(queued, { pollMs: 10 })).failed;
      };
      // The last round profiled alone: rotations only, the machine warm.
      const profile = r === rounds.length - 1 ? opts.cpuProfile : undefined;
      const run = await measured(async () => {
        if (profile === undefined) return rotateRound();
        opts.log?.(
          `where a rotation's CPU went (%): ${JSON.stringify((await profiled(profile, rotateRound)).shares)}`,
        );
      });
      requests += requestCount(await rig.admin.counters());
      add(raw, set);
      add(floor, pairs);
      add(rotated, run);
      add(engine, direct);
      add(jobs, nothing);
      perRound.ratio.push(set.seconds / run.seconds);
      perRound.engine.push(set.seconds / direct.seconds);
      perRound.ceiling.push(set.seconds / (direct.seconds + nothing.seconds));
      perRound.floor.push(set.seconds / pairs.seconds);
      perRound.ofFloor.push(pairs.seconds / run.seconds);
    }
    if (failed > 0) throw new Error(`${failed} rotations failed during the throughput bench`);
    const rate = (phase: Phase): number => round(names.length / phase.seconds);
    const cpu = (phase: Phase): number => round(phase.cpuUs / names.length, 0);
    const median = (values: number[]): number => round(percentile(values, 50), 2);
    return {
      concurrency: opts.concurrency,
      rotations: names.length,
      rounds: ROUNDS,
      rawSetsPerSecond: rate(raw),
      floorPairsPerSecond: rate(floor),
      rotationsPerSecond: rate(rotated),
      requestsPerSecondWhileRotating: round(requests / rotated.seconds),
      ratio: median(perRound.ratio),
      ratioRange: [round(Math.min(...perRound.ratio), 2), round(Math.max(...perRound.ratio), 2)],
      floorRatio: median(perRound.floor),
      ofFloor: median(perRound.ofFloor),
      engineRotationsPerSecond: rate(engine),
      engineRatio: median(perRound.engine),
      emptyJobsPerSecond: rate(jobs),
      ceilingRatio: median(perRound.ceiling),
      cpuUsPerRawSet: cpu(raw),
      cpuUsPerFloorPair: cpu(floor),
      cpuUsPerRotation: cpu(rotated),
      cpuUsPerEngineRotation: cpu(engine),
      cpuUsPerEmptyJob: cpu(jobs),
      cpuRatio: round(raw.cpuUs / rotated.cpuUs, 2),
    };
  } finally {
    await empty.close();
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
    const done = await rig.waitForRotations(names.length, { timeoutMs: 600_000 });
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
