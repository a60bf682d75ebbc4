import fc from 'fast-check';
import { DateTime, Duration } from 'luxon';
import pino from 'pino';
import type { Clock } from '../../src/clock';
import { RotatorError } from '../../src/errors';
import { sweepVaults, type SweepDeps } from '../../src/scheduling/sweep';
import type { SecretOutcome } from '../../src/scheduling/outcome-store';
import { rotationJobId, secretKey } from '../../src/scheduling/job-ids';
import { MemoryScheduler } from '../support/memory-scheduler';
import { MemorySecretStore } from '../support/memory-secret-store';

const VAULT = 'https://horizon.vault.example';
const BASE = DateTime.fromISO('2026-12-01T00:00:00Z', { zone: 'utc' });
const DAY = Duration.fromISO('P1D');

/** A fleet of secrets due at the given offsets (seconds from BASE), each on a one-day interval. */
async function fleet(dueOffsets: readonly number[]): Promise<MemorySecretStore> {
  const store = new MemorySecretStore(VAULT);
  for (const [i, due] of dueOffsets.entries()) {
    const rotatedAt = BASE.plus({ seconds: due }).minus(DAY).toISO() ?? '';
    await store.set(`s-${i}`, 'v', { tags: { 'rotation-target': 'keyvault', 'rotated-at': rotatedAt } });
  }
  return store;
}

function sweepDeps(store: MemorySecretStore, scheduler: MemoryScheduler, clock: Clock): SweepDeps {
  const outcomes = new Map<string, SecretOutcome>();
  return {
    stores: [store],
    scheduler,
    outcomes: {
      record: (key, outcome) => Promise.resolve(void outcomes.set(key, outcome)),
      all: () => Promise.resolve(outcomes),
    },
    clock,
    defaults: { interval: DAY, grace: Duration.fromISO('PT1H') },
    logger: pino({ level: 'silent' }),
  };
}

interface Run {
  dueOffsets: number[];
  /** Seconds from BASE of each sweep, ascending. */
  sweeps: number[];
  horizonS: number;
  /** Index of a sweep whose listing fails (its vault unreachable), if any. */
  failing?: number;
}

/**
 * Sweeps at the given times and returns, per due time that falls within the run, whether the jobs
 * left by the last sweep at or before it held that secret's job for exactly that time (what Redis
 * holds when the due time passes). Also checks that Redis never held a job beyond the horizon.
 */
async function simulate(run: Run): Promise<{ missed: number[]; farJobs: number; checked: number }> {
  const store = await fleet(run.dueOffsets);
  const scheduler = new MemoryScheduler(Duration.fromObject({ seconds: run.horizonS }));
  let now = BASE;
  const deps = sweepDeps(store, scheduler, { now: () => now });
  const after: Array<Map<string, number>> = [];
  let farJobs = 0;
  for (const [k, at] of run.sweeps.entries()) {
    now = BASE.plus({ seconds: at });
    if (k === run.failing)
      store.failNext(new RotatorError('VAULT_UNREACHABLE', 'listing failed', { hint: 'a test' }));
    await sweepVaults(deps);
    const jobs = new Map([...scheduler.jobs].map(([id, job]) => [id, job.runAt.toMillis()]));
    farJobs += [...jobs.values()].filter((ms) => ms > now.toMillis() + run.horizonS * 1000).length;
    after.push(jobs);
  }
  const missed: number[] = [];
  let checked = 0;
  const first = run.sweeps[0] ?? 0;
  const last = run.sweeps.at(-1) ?? 0;
  for (const [i, due] of run.dueOffsets.entries()) {
    if (due < first || due > last) continue;
    checked += 1;
    const k = run.sweeps.findLastIndex((at) => at <= due);
    const dueAt = BASE.plus({ seconds: due });
    const id = rotationJobId('scheduled', secretKey(VAULT, `s-${i}`), dueAt);
    if (after[k]?.get(id) !== dueAt.toMillis()) missed.push(due);
  }
  return { missed, farJobs, checked };
}

/** Sweep times from a start and gaps of 1 s up to the interval (BullMQ's every-interval, possibly early). */
const sweepTimes = (intervalS: number) =>
  fc
    .array(fc.integer({ min: 1, max: intervalS }), { minLength: 3, maxLength: 25 })
    .map((gaps) => gaps.reduce<number[]>((times, gap) => [...times, (times.at(-1) ?? 0) + gap], [0]));

const scenario = (minSweeps: number) =>
  fc.integer({ min: 5, max: 900 }).chain((intervalS) =>
    fc.record({
      intervalS: fc.constant(intervalS),
      sweeps: sweepTimes(intervalS),
      horizonS: fc.integer({ min: minSweeps * intervalS, max: 6 * intervalS }),
      dueOffsets: fc.array(fc.integer({ min: -intervalS, max: 30 * intervalS }), {
        minLength: 1,
        maxLength: 40,
      }),
    }),
  );

describe('the schedule horizon (property: nothing due is ever missed)', () => {
  it('with sweeps at most an interval apart and a horizon of at least one interval, every due time has its job before it passes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(1), async (run) => {
        const { missed, farJobs } = await simulate(run);
        expect(missed).toEqual([]);
        expect(farJobs).toBe(0);
      }),
      { numRuns: 200, seed: 17 },
    );
  });

  it('with a horizon of at least two intervals, one failed sweep (vault unreachable) still misses nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario(2).chain((run) =>
          fc.record({
            run: fc.constant(run),
            failing: fc.integer({ min: 1, max: run.sweeps.length - 1 }),
          }),
        ),
        async ({ run, failing }) => {
          const { missed } = await simulate({ ...run, failing });
          expect(missed).toEqual([]);
        },
      ),
      { numRuns: 200, seed: 18 },
    );
  });

  it('is not vacuous: a horizon shorter than the gap between sweeps does miss a due time', async () => {
    // Sweeps 60 s apart, horizon 30 s: a rotation due 45 s after a sweep has no job when it passes.
    const result = await simulate({ dueOffsets: [45], sweeps: [0, 60, 120], horizonS: 30 });
    expect(result.checked).toBe(1);
    expect(result.missed).toEqual([45]);
  });

  it('queues no job and keeps no index entry for secrets due beyond the horizon, and drops one that moved there', async () => {
    const store = await fleet([10, 100_000]);
    const scheduler = new MemoryScheduler(Duration.fromISO('PT15M'));
    const deps = sweepDeps(store, scheduler, { now: () => BASE });
    const summary = await sweepVaults(deps);
    expect(summary).toMatchObject({ managed: 2, queued: 1, beyondHorizon: 1 });
    expect([...scheduler.index.keys()]).toEqual([secretKey(VAULT, 's-0')]);
    // s-0 is rotated: its next due time is a day away, so its job and entry go.
    const rotatedAt = BASE.toISO() ?? '';
    await store.set('s-0', 'v2', { tags: { 'rotation-target': 'keyvault', 'rotated-at': rotatedAt } });
    const again = await sweepVaults(deps);
    expect(again).toMatchObject({ queued: 0, beyondHorizon: 2, removed: 0 });
    expect(scheduler.index.size).toBe(0);
    expect(scheduler.jobs.size).toBe(0);
  });
});
