import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime, Duration } from 'luxon';
import pino from 'pino';
import { ManualClock, systemClock, type Clock } from '../../src/clock/clock';
import { isRotatorError } from '../../src/errors';
import {
  parseRetirement,
  retirePending,
  RETIREMENT_TAG,
  rotateSecret,
  type RotationDeps,
  type RotationStep,
} from '../../src/rotation';
import { OutcomeStore } from '../../src/scheduling/outcome-store';
import { QUEUE } from '../../src/scheduling/queues';
import { createRetirementProcessor, RetirementScheduler } from '../../src/scheduling/retirement-jobs';
import { RotationScheduler } from '../../src/scheduling/rotation-scheduler';
import { scheduleHorizon } from '../../src/scheduling/horizon';
import type { RotationJobData } from '../../src/scheduling/job-data';
import { sweepVaults } from '../../src/scheduling/sweep';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import type { RotationTarget } from '../../src/rotation';
import type { SecretProperties, SecretStore } from '../../src/vault';
import { startTestEmulator, emulatorStore, type TestEmulator } from '../support/emulator';
import { deleteKeys } from '../support/redis-scan';
import { engineTestDeps } from '../support/engine-deps';

class SimulatedCrash extends Error {}

const later: Clock = { now: () => DateTime.utc().plus({ days: 3 }) };

describe('retirement after an overlap: durable, crash-safe, proven', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let redis: Redis;
  let queue: Queue;
  const prefix = `t-retire-${randomUUID().slice(0, 8)}`;
  let keyvault: RotationTarget = createKeyVaultTarget();

  function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
    return engineTestDeps(
      { store, redis, prefix, target: (kind) => (kind === 'keyvault' ? keyvault : undefined) },
      overrides,
    );
  }
  const request = (secretName: string, reason: 'manual' | 'usage' | 'scheduled' = 'scheduled') => ({
    secretName,
    reason,
    triggeredAt: DateTime.utc(),
  });

  async function versions(name: string): Promise<SecretProperties[]> {
    const all: SecretProperties[] = [];
    for await (const v of store.listVersions(name)) all.push(v);
    return all;
  }

  async function rotatedWithOverlap(
    name: string,
    overlap = 'PT2H',
  ): Promise<{ old: string; current: string }> {
    const first = await store.set(name, 'first-value', {
      tags: { 'rotation-target': 'keyvault', 'rotation-overlap': overlap },
    });
    const result = await rotateSecret(request(name), deps());
    expect(result.retirement?.state).toBe('pending');
    return { old: first.version, current: result.version ?? '' };
  }

  beforeAll(async () => {
    emulator = await startTestEmulator();
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    queue = new Queue(QUEUE.rotations, { connection: redis, prefix });
  });
  afterEach(() => {
    keyvault = createKeyVaultTarget();
  });
  afterAll(async () => {
    await queue.close();
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
    await emulator.close();
  });

  it('keyvault: the previous version stays enabled for the overlap, then is disabled and proven', async () => {
    const { old, current } = await rotatedWithOverlap('kv-overlap');
    expect((await versions('kv-overlap')).find((v) => v.version === old)?.enabled).toBe(true);
    const result = await retirePending(
      { secretName: 'kv-overlap', retiredVersion: old },
      deps({ clock: later }),
    );
    expect(result.retirement).toMatchObject({ state: 'proven', check: 'version disabled' });
    expect((await versions('kv-overlap')).find((v) => v.version === old)?.enabled).toBe(false);
    const now = await store.get('kv-overlap');
    expect(now?.version).toBe(current);
    expect(parseRetirement(now?.tags[RETIREMENT_TAG])).toMatchObject({ state: 'proven', version: old });
  });

  it('an overlap longer than half the interval is refused on the tag, and nothing changes', async () => {
    await store.set('kv-too-long', 'v', {
      tags: { 'rotation-target': 'keyvault', 'rotation-overlap': 'P7D', 'rotation-interval': 'P13D' },
    });
    const error: unknown = await rotateSecret(request('kv-too-long'), deps()).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('SECRET_MISCONFIGURED');
    expect(isRotatorError(error) && error.message).toContain("rotation-overlap='P7D'");
    expect(isRotatorError(error) && error.permanent).toBe(true);
    expect(await versions('kv-too-long')).toHaveLength(1);
  });

  it('a usage during an overlap disables the overlapping version and the used one at once', async () => {
    const { old, current } = await rotatedWithOverlap('kv-used');
    const used = await rotateSecret(
      { ...request('kv-used', 'usage'), triggeredAt: DateTime.utc().plus({ seconds: 1 }) },
      deps(),
    );
    expect(used.overlapRetirement?.state).toBe('proven');
    expect(used.retirement?.state).toBe('proven');
    const all = await versions('kv-used');
    expect(all.find((v) => v.version === old)?.enabled).toBe(false);
    expect(all.find((v) => v.version === current)?.enabled).toBe(false);
    expect(all.filter((v) => v.enabled)).toHaveLength(1);
  });

  it.each<RotationStep>(['retired', 'proved'])(
    'a crash at %s of the follow-up is finished by the next run',
    async (step) => {
      const name = `kv-crash-${step}`;
      const { old } = await rotatedWithOverlap(name);
      const crashing = deps({
        clock: later,
        onStep: (s) => {
          if (s === step) throw new SimulatedCrash(step);
        },
      });
      await expect(retirePending({ secretName: name, retiredVersion: old }, crashing)).rejects.toBeInstanceOf(
        SimulatedCrash,
      );
      const again = await retirePending({ secretName: name, retiredVersion: old }, deps({ clock: later }));
      // After a crash at `proved` the record is already written: the rerun has nothing left to do.
      expect(again.outcome).toBe(step === 'proved' ? 'satisfied' : 'retired');
      expect((await versions(name)).find((v) => v.version === old)?.enabled).toBe(false);
      expect(parseRetirement((await store.get(name))?.tags[RETIREMENT_TAG])?.state).toBe('proven');
    },
  );

  it('a retire that fails is retried, recorded as failed meanwhile, and never lost', async () => {
    const { old } = await rotatedWithOverlap('kv-retire-fails');
    let failures = 1;
    keyvault = {
      ...createKeyVaultTarget(),
      retire: () => (failures-- > 0 ? Promise.reject(new Error('target unavailable')) : Promise.resolve()),
    };
    const outcomes = new OutcomeStore(redis, prefix);
    const processor = createRetirementProcessor({
      stores: [store],
      retire: (req, s) => retirePending(req, deps({ store: s, clock: later })),
      outcomes,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      lockedRetryMs: 10,
    });
    const job = await queue.add('retire', {
      secret: 'kv-retire-fails',
      vault: store.vaultUrl,
      version: old,
      retireAt: DateTime.utc().toISO(),
    });
    await expect(processor(job)).rejects.toThrow('target unavailable');
    const recorded = [...(await outcomes.all()).values()].find((o) => o.jobId === job.id);
    expect(recorded?.outcome).toBe('retire-failed');
    expect(parseRetirement((await store.get('kv-retire-fails'))?.tags[RETIREMENT_TAG])?.state).toBe(
      'pending',
    );
    expect((await versions('kv-retire-fails')).find((v) => v.version === old)?.enabled).toBe(true);
    const retried = await processor(job);
    expect(retried.retirement?.state).toBe('proven');
    expect((await versions('kv-retire-fails')).find((v) => v.version === old)?.enabled).toBe(false);
  });

  /** A sweep over the vault with this clock; retirement follow-ups held in Redis within `horizon`. */
  function sweeper(clock: Clock, horizon: string) {
    const retirements = new RetirementScheduler(queue, clock, 3, Duration.fromISO(horizon));
    return () =>
      sweepVaults({
        stores: [store],
        scheduler: new RotationScheduler(queue as Queue<RotationJobData>, redis, prefix, clock, {
          attempts: 3,
          horizon: Duration.fromISO(horizon),
        }),
        retirements,
        outcomes: new OutcomeStore(redis, prefix),
        clock,
        defaults: { interval: Duration.fromISO('P13D'), grace: Duration.fromISO('PT30M') },
        logger: pino({ level: 'silent' }),
      });
  }

  const retireJobs = async (secret: string) =>
    (await queue.getJobs(['delayed', 'waiting'])).filter(
      (j) => j.name === 'retire' && (j.data as { secret: string }).secret === secret,
    );

  it('a retirement due beyond the horizon has no job in Redis until a sweep finds it within', async () => {
    const { old } = await rotatedWithOverlap('kv-far-retire');
    // The overlap ends in about 2 h: a PT15M horizon leaves it to Key Vault's tag.
    const clock = new ManualClock(DateTime.utc().toISO() ?? '');
    const summary = await sweeper(clock, 'PT15M')();
    expect(summary.overlapping).toBeGreaterThanOrEqual(1);
    expect(await retireJobs('kv-far-retire')).toHaveLength(0);
    // Ten minutes before the overlap ends, the sweep adds the follow-up.
    clock.advance('PT1H50M');
    await sweeper(clock, 'PT15M')();
    const [job] = await retireJobs('kv-far-retire');
    expect(job?.data).toMatchObject({ version: old });
  });

  it('Redis lost while a retirement is pending: the sweep finds it in Key Vault and adds its job again', async () => {
    const { old } = await rotatedWithOverlap('kv-redis-lost');
    const retirements = new RetirementScheduler(queue, systemClock, 3, Duration.fromISO('P1D'));
    const sweep = () =>
      sweepVaults({
        stores: [store],
        scheduler: new RotationScheduler(queue as Queue<RotationJobData>, redis, prefix, systemClock, {
          attempts: 3,
          horizon: scheduleHorizon(Duration.fromISO('PT1M')),
        }),
        retirements,
        outcomes: new OutcomeStore(redis, prefix),
        clock: systemClock,
        defaults: { interval: Duration.fromISO('P13D'), grace: Duration.fromISO('PT30M') },
        logger: pino({ level: 'silent' }),
      });
    const summary = await sweep();
    expect(summary.overlapping).toBeGreaterThanOrEqual(1);
    const jobs = async () =>
      (await queue.getJobs(['delayed', 'waiting'])).filter(
        (j) => j.name === 'retire' && (j.data as { secret: string }).secret === 'kv-redis-lost',
      );
    const [job] = await jobs();
    expect(job?.data).toMatchObject({ version: old });
    const delay = (job?.opts.delay ?? 0) / 3_600_000;
    expect(delay).toBeGreaterThan(1.9);
    expect(delay).toBeLessThanOrEqual(2);
    // A second sweep adds nothing while the job waits.
    await sweep();
    expect(await jobs()).toHaveLength(1);
    // Redis loses the queue: the next sweep rebuilds the job from Key Vault's tag.
    await queue.obliterate({ force: true });
    expect(await jobs()).toHaveLength(0);
    await sweep();
    expect(await jobs()).toHaveLength(1);
  });

  it('an unproven retirement is recorded with its reason, counted by the sweep and tried again', async () => {
    const { old } = await rotatedWithOverlap('kv-unproven');
    let stillAccepted = true;
    keyvault = {
      ...createKeyVaultTarget(),
      prove: () =>
        Promise.resolve(
          stillAccepted
            ? {
                proven: false,
                reason: 'sign-in with the retired credential still succeeds',
                check: 'sign-in',
              }
            : { proven: true, check: 'sign-in refused' },
        ),
    };
    const first = await retirePending(
      { secretName: 'kv-unproven', retiredVersion: old },
      deps({ clock: later }),
    );
    expect(first.retirement).toMatchObject({
      state: 'unproven',
      reason: 'sign-in with the retired credential still succeeds',
    });
    const record = parseRetirement((await store.get('kv-unproven'))?.tags[RETIREMENT_TAG]);
    expect(record?.state).toBe('unproven');
    stillAccepted = false;
    const second = await retirePending(
      { secretName: 'kv-unproven', retiredVersion: old },
      deps({ clock: later }),
    );
    expect(second.retirement?.state).toBe('proven');
  });
});
