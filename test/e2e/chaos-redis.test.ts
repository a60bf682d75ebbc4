import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SecretStore } from '../../src/vault';
import {
  bounded,
  committedRotations,
  reportFigures,
  startPrivateRedis,
  type PrivateRedis,
} from '../support/chaos';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, type TestEmulator, vaultEnv } from '../support/emulator';
import { pause, waitFor } from '../support/wait';

const OVERDUE = bounded(6, 40);
const CHECKED_OUT = bounded(6, 40);
const COMING_DUE = bounded(4, 20);

describe('chaos: Redis flushed and restarted under a running daemon', () => {
  let redis: PrivateRedis;
  let emulator: TestEmulator;
  let store: SecretStore;

  beforeAll(async () => {
    [redis, emulator] = await Promise.all([startPrivateRedis(), startTestEmulator()]);
    store = emulatorStore(emulator);
  });

  afterAll(async () => {
    await redis?.kill();
    await emulator?.close();
  });

  async function checkout(names: readonly string[]): Promise<void> {
    const usage = new Queue('usage-events', { connection: { url: redis.url }, prefix: 'chaos' });
    for (const name of names)
      await usage.add('checkout', {
        secret: name,
        actor: 'chaos',
        reason: 'redis chaos',
        at: DateTime.utc().toISO(),
      });
    await usage.close();
  }

  async function recorded(names: readonly string[]): Promise<boolean | undefined> {
    for (const name of names)
      if ((await store.get(name))?.tags['checked-out-at'] === undefined) return undefined;
    return true;
  }

  it('rebuilds the schedule and still forces every recorded checkout, and makes every rotation coming due, after FLUSHALL and a restart', async () => {
    const started = Date.now();
    const longAgo = DateTime.utc().minus({ hours: 2 }).toISO() ?? '';
    const overdue = Array.from({ length: OVERDUE }, (_, i) => `late-${i}`);
    const firstWave = Array.from({ length: CHECKED_OUT / 2 }, (_, i) => `jit-a-${i}`);
    const secondWave = Array.from({ length: CHECKED_OUT / 2 }, (_, i) => `jit-b-${i}`);
    const comingDue = Array.from({ length: COMING_DUE }, (_, i) => `soon-${i}`);
    for (const name of [...firstWave, ...secondWave])
      await store.set(name, 'initial', { tags: { 'rotation-target': 'keyvault' } });
    const healthPort = await freePort();
    const daemon = await startDaemonProcess(
      {
        ...vaultEnv(emulator),
        REDIS_URL: redis.url,
        ROTATOR_QUEUE_PREFIX: 'chaos',
        ROTATOR_ROTATION_INTERVAL: 'PT1H',
        ROTATOR_USAGE_GRACE: 'PT4S',
        ROTATOR_SWEEP_INTERVAL: 'PT1S',
        ROTATOR_RETRY_BACKOFF: 'PT0.2S',
        ROTATOR_RATE_LIMIT: '1000/PT1S',
        ROTATOR_LOG_LEVEL: 'warn',
      },
      healthPort,
    );
    try {
      // Checkouts recorded on the secrets, forced rotations queued… and then the queue is wiped.
      await checkout(firstWave);
      await waitFor('the first checkouts to be recorded', () => recorded(firstWave), 20_000);
      // Due 8 s from now: beyond the horizon (3 sweeps of 1 s) when Redis is wiped, so nothing in
      // Redis ever held them before the flush; only a sweep after it can queue them.
      const due = DateTime.utc().plus({ seconds: 8 });
      for (const name of comingDue)
        await store.set(name, 'initial', {
          tags: { 'rotation-target': 'keyvault', 'rotated-at': due.minus({ hours: 1 }).toISO() ?? '' },
        });
      const flushedAt = DateTime.utc();
      const admin = new Redis(redis.url);
      await admin.flushall();
      admin.disconnect();
      // Overdue secrets appear while the queue is empty: only a rebuilt sweep can find them.
      for (const name of overdue)
        await store.set(name, 'initial', { tags: { 'rotation-target': 'keyvault', 'rotated-at': longAgo } });
      await checkout(secondWave);
      await waitFor('the second checkouts to be recorded', () => recorded(secondWave), 20_000);
      await redis.restart();
      const restartedAt = DateTime.utc();

      const expected = [...overdue, ...comingDue, ...firstWave, ...secondWave];
      await waitFor(
        'every overdue secret and every checkout to be rotated',
        async () => {
          for (const name of expected)
            if ((await committedRotations(store, name)).length === 0) return undefined;
          return true;
        },
        60_000,
      );
      await pause(2_000);
      let duplicates = 0;
      let wrongReason = 0;
      for (const name of expected) {
        const rotations = await committedRotations(store, name);
        if (rotations.length > 1) duplicates += rotations.length - 1;
        const want = name.startsWith('late-') || name.startsWith('soon-') ? 'scheduled' : 'usage';
        if (rotations[0]?.reason !== want) wrongReason += 1;
      }
      const healthy = (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).ok;
      reportFigures('Redis FLUSHALL + restart', {
        flushes: 1,
        restarts: 1,
        triggers: expected.length,
        missing: 0,
        duplicates,
        wrongReason,
        secondsFromFlush: Math.round(DateTime.utc().diff(flushedAt).as('seconds')),
        secondsFromRestart: Math.round(DateTime.utc().diff(restartedAt).as('seconds')),
        seconds: Math.round((Date.now() - started) / 1000),
      });
      expect(duplicates).toBe(0);
      expect(wrongReason).toBe(0);
      expect(healthy).toBe(true);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 180_000);
});
