import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import pino from 'pino';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { startDaemon, type RunningDaemon } from '../../src/daemon';
import { FleetSnapshotStore, QUEUE } from '../../src/scheduling';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import { createSecretStores, type SecretStore } from '../../src/vault';
import { startTestEmulator, type TestEmulator } from '../support/emulator';
import { dumpRedis } from '../support/redis-scan';
import { pause, waitFor } from '../support/wait';

// Time is compressed through configuration: interval 10 s, grace 3 s, sweep 2 s.
const GRACE_MS = 3_000;
const REDIS_DB = 7;

describe('the daemon schedules and forces rotations (real Redis, emulated Key Vault)', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let daemon: RunningDaemon;
  let redis: Redis;
  let usage: Queue;
  const prefix = `t-daemon-${randomUUID().slice(0, 8)}`;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;

  async function versions(name: string): Promise<Array<{ tags: Record<string, string>; createdOn?: Date }>> {
    const all = [];
    for await (const v of store.listVersions(name)) all.push(v);
    return all;
  }

  async function rotations(name: string): Promise<Array<Record<string, string>>> {
    return (await versions(name)).map((v) => v.tags).filter((t) => t['rotation-id'] !== undefined);
  }

  async function managed(name: string, tags: Record<string, string> = {}): Promise<void> {
    await store.set(name, 'initial-value', { tags: { 'rotation-target': 'keyvault', ...tags } });
  }

  async function checkout(secret: string, at = DateTime.utc()): Promise<void> {
    await usage.add('checkout', { secret, actor: 'alice', reason: 'incident 42', at: at.toISO() });
  }

  beforeAll(async () => {
    emulator = await startTestEmulator();
    const config = loadConfig({
      ROTATOR_VAULT_URL: emulator.url,
      ROTATOR_VAULT_CA_FILE: emulator.caFile,
      ROTATOR_VAULT_TOKEN: 'test',
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_ROTATION_INTERVAL: 'PT10S',
      ROTATOR_USAGE_GRACE: 'PT3S',
      ROTATOR_SWEEP_INTERVAL: 'PT2S',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
    });
    [store] = createSecretStores(config) as [SecretStore];
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    usage = new Queue(QUEUE.usage, { connection: { url: redisUrl }, prefix });
    const keyvault = createKeyVaultTarget();
    daemon = await startDaemon({
      config,
      stores: [store],
      targets: (kind) => (kind === 'keyvault' ? keyvault : undefined),
      logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      clock: systemClock,
      healthPort: 0,
      lockedRetryMs: 200,
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await usage?.close();
    await redis?.flushdb();
    redis?.disconnect();
    await emulator?.close();
  });

  it('rotates an overdue secret within one sweep and leaves a fresh one alone', async () => {
    const longAgo = DateTime.utc().minus({ days: 20 }).toISO();
    await managed('overdue-one', { 'rotated-at': longAgo, 'rotation-interval': 'P13D' });
    await managed('fresh-one', { 'rotation-interval': 'P1D' });
    const done = await waitFor('the overdue secret to rotate', async () => {
      const r = await rotations('overdue-one');
      return r.length > 0 ? r : undefined;
    });
    expect(done.at(-1)?.['rotation-reason']).toBe('scheduled');
    await pause(2_500);
    expect(await rotations('overdue-one')).toHaveLength(1);
    expect(await rotations('fresh-one')).toHaveLength(0);
  });

  it('rotates every interval counted from the last rotation', async () => {
    await managed('short-interval', { 'rotation-interval': 'PT4S' });
    const r = await waitFor(
      'two scheduled rotations',
      async () => {
        const list = await rotations('short-interval');
        return list.length >= 2 ? list : undefined;
      },
      20_000,
    );
    const [first, second] = r.map((t) => DateTime.fromISO(t['rotated-at'] as string));
    expect((second as DateTime).diff(first as DateTime).as('seconds')).toBeGreaterThanOrEqual(3.9);
  });

  it('follows a checkout with exactly one rotation after the grace period, not before', async () => {
    await managed('checked-out', { 'rotation-interval': 'P1D' });
    const at = DateTime.utc();
    await checkout('checked-out', at);
    await waitFor('the checkout tag', async () => {
      const [latest] = (await versions('checked-out')).slice(-1);
      return latest?.tags['checked-out-at'];
    });
    await pause(GRACE_MS - 1_500);
    expect(await rotations('checked-out')).toHaveLength(0);
    const done = await waitFor('the forced rotation', async () => {
      const r = await rotations('checked-out');
      return r.length > 0 ? r : undefined;
    });
    expect(done[0]?.['rotation-reason']).toBe('usage');
    expect(DateTime.fromISO(done[0]?.['rotated-at'] as string).toMillis()).toBeGreaterThanOrEqual(
      at.toMillis() + GRACE_MS,
    );
    await pause(2_500);
    expect(await rotations('checked-out')).toHaveLength(1);
  });

  it('gives one rotation at the earliest due time for three checkouts in the window', async () => {
    await managed('busy', { 'rotation-interval': 'P1D' });
    const first = DateTime.utc();
    await checkout('busy', first);
    await pause(700);
    await checkout('busy');
    await pause(700);
    await checkout('busy');
    const done = await waitFor('the forced rotation', async () => {
      const r = await rotations('busy');
      return r.length > 0 ? r : undefined;
    });
    const rotatedAt = DateTime.fromISO(done[0]?.['rotated-at'] as string);
    // Due at the first checkout + grace: the later checkouts did not postpone it.
    expect(rotatedAt.toMillis()).toBeLessThan(first.toMillis() + GRACE_MS + 2_500);
    await pause(GRACE_MS + 1_500);
    expect(await rotations('busy')).toHaveLength(1);
  });

  it('counts a rotation after the checkout as satisfying it', async () => {
    await managed('rotated-meanwhile', { 'rotation-interval': 'P1D' });
    await checkout('rotated-meanwhile');
    await pause(300);
    const rotationsQueue = new Queue(QUEUE.rotations, { connection: { url: redisUrl }, prefix });
    const now = DateTime.utc();
    await rotationsQueue.add(
      'manual',
      {
        secret: 'rotated-meanwhile',
        vault: emulator.url,
        reason: 'manual',
        triggeredAt: now.toISO(),
        dueAt: now.toISO(),
      },
      { jobId: `manual.test.${now.toMillis()}` },
    );
    await rotationsQueue.close();
    await waitFor('the manual rotation', async () =>
      (await rotations('rotated-meanwhile')).length > 0 ? true : undefined,
    );
    await pause(GRACE_MS + 2_000);
    const all = await rotations('rotated-meanwhile');
    expect(all.map((t) => t['rotation-reason'])).toEqual(['manual']);
  });

  it('rejects invalid usage events with a reason on the failed job and keeps listening', async () => {
    const bad = [
      { secret: 'no such secret!', actor: 'a', reason: 'r', at: DateTime.utc().toISO() },
      { secret: 'unknown-secret', actor: 'a', reason: 'r', at: DateTime.utc().toISO() },
      { secret: 'fresh-one', actor: '', reason: 'r', at: DateTime.utc().toISO() },
      { secret: 'fresh-one', actor: 'a', reason: 'r', at: DateTime.utc().plus({ days: 1 }).toISO() },
      { secret: 'fresh-one', actor: 'a', reason: 'r', at: 'yesterday' },
      { secret: 'unmanaged-one', actor: 'a', reason: 'r', at: DateTime.utc().toISO() },
      { secret: 'fresh-one', actor: 'a', reason: 'r', at: DateTime.utc().minus({ minutes: 6 }).toISO() },
    ];
    await store.set('unmanaged-one', 'x');
    const jobs = await Promise.all(bad.map((data) => usage.add('checkout', data)));
    const reasons = await waitFor('every bad event to fail', async () => {
      const states = await Promise.all(jobs.map((j) => usage.getJob(j.id as string)));
      if (!states.every((j) => j?.failedReason)) return undefined;
      return states.map((j) => ({ reason: j?.failedReason ?? '', attempts: j?.attemptsMade ?? 0 }));
    });
    for (const { reason, attempts } of reasons) {
      expect(reason).toMatch(/^USAGE_INVALID: /);
      expect(attempts).toBeLessThanOrEqual(1);
    }
    expect(reasons[1]?.reason).toContain('does not exist');
    expect(reasons[3]?.reason).toContain('in the future');
    expect(reasons[5]?.reason).toContain('is not managed');
    expect(reasons[6]?.reason).toContain('a usage is reported when it happens');
    expect((await store.get('unmanaged-one'))?.tags['checked-out-at']).toBeUndefined();
    await managed('after-bad-events', { 'rotation-interval': 'P1D' });
    await checkout('after-bad-events');
    await waitFor('a good event after bad ones to be recorded', async () => {
      const [latest] = (await versions('after-bad-events')).slice(-1);
      return latest?.tags['checked-out-at'];
    });
  });

  it('keeps no generated value anywhere in Redis (keys, job data, results, outcomes)', async () => {
    const values: string[] = [];
    for await (const secret of store.list()) {
      for await (const version of store.listVersions(secret.name)) {
        // Retired and older keyvault versions are disabled and unreadable: values are checked while they live.
        if (version.tags['rotation-id'] === undefined || !version.enabled) continue;
        const full = await store.get(secret.name, version.version);
        if (full !== undefined) values.push(full.value);
      }
    }
    expect(values.length).toBeGreaterThan(3);
    const dump = await dumpRedis(redis);
    expect(dump.length).toBeGreaterThan(0);
    expect(values.filter((v) => dump.includes(v))).toEqual([]);
  });

  it('queues a rotation due beyond the horizon only once it comes near, and rotates it when due, not before', async () => {
    // The horizon is three sweeps (6 s); due in 14 s, the secret has no job at first.
    const created = DateTime.utc();
    await managed('far-then-near', { 'rotation-interval': 'PT14S', 'rotated-at': created.toISO() ?? '' });
    await pause(2_500);
    const index = await redis.hgetall(`${prefix}:rotator:schedule`);
    expect(Object.keys(index).filter((k) => k.startsWith('far-then-near.'))).toEqual([]);
    const done = await waitFor(
      'the scheduled rotation',
      async () => {
        const r = await rotations('far-then-near');
        return r.length > 0 ? r : undefined;
      },
      30_000,
    );
    expect(done[0]?.['rotation-reason']).toBe('scheduled');
    expect(DateTime.fromISO(done[0]?.['rotated-at'] as string).toMillis()).toBeGreaterThanOrEqual(
      created.toMillis() + 14_000,
    );
  });

  it('rebuilds the near-future schedule after Redis loses everything: a recorded checkout still forces its rotation, a rotation coming due is still made', async () => {
    await managed('survives-flush', { 'rotation-interval': 'P1D' });
    await checkout('survives-flush');
    await waitFor('the checkout tag', async () => {
      const [latest] = (await versions('survives-flush')).slice(-1);
      return latest?.tags['checked-out-at'];
    });
    // Due 10 s from now: beyond the horizon when Redis is wiped, so only a later sweep can queue it.
    const comingDue = DateTime.utc();
    await managed('due-after-flush', { 'rotation-interval': 'PT10S', 'rotated-at': comingDue.toISO() ?? '' });
    await redis.flushdb();
    const done = await waitFor('the forced rotation after the flush', async () => {
      const r = await rotations('survives-flush');
      return r.length > 0 ? r : undefined;
    });
    expect(done[0]?.['rotation-reason']).toBe('usage');
    const scheduled = await waitFor(
      'the rotation that came due after the flush',
      async () => {
        const r = await rotations('due-after-flush');
        return r.length > 0 ? r : undefined;
      },
      30_000,
    );
    expect(scheduled[0]?.['rotation-reason']).toBe('scheduled');
    // The rebuilt index holds the near future only: secrets due in a day have no entry.
    const index = await redis.hgetall(`${prefix}:rotator:schedule`);
    expect(Object.keys(index).filter((k) => k.startsWith('fresh-one.'))).toEqual([]);
    const fleet = await new FleetSnapshotStore(redis, prefix).readFigures();
    expect(fleet?.schedule?.beyondHorizon).toBeGreaterThanOrEqual(1);
    // A small fleet: every secret is among the oldest kept, the one due in a day too.
    expect(fleet?.oldest.map((s) => s.secret)).toEqual(expect.arrayContaining(['fresh-one']));
  });

  it('answers /healthz and /readyz', async () => {
    const live = await fetch(`http://127.0.0.1:${daemon.healthPort}/healthz`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${daemon.healthPort}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: Record<string, string> };
    expect(body.checks.redis).toBe('ok');
    expect(body.checks[emulator.url]).toBe('ok');
  });
});
