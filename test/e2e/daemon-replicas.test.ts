import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SecretStore } from '../../src/vault';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { startTestEmulator, type TestEmulator, emulatorStore, vaultEnv } from '../support/emulator';
import { pause, waitFor } from '../support/wait';

const REDIS_DB = 10;
// Bounded in `npm test`; ROTATOR_CHAOS=full runs the larger version.
const SECRETS = Number(process.env.TEST_SECRETS ?? (process.env.ROTATOR_CHAOS === 'full' ? 600 : 200));

describe('several daemon processes on one Redis', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  const prefix = `t-replicas-${randomUUID().slice(0, 8)}`;
  let env: Record<string, string>;

  async function rotationCounts(names: string[]): Promise<Map<string, string[]>> {
    const counts = new Map<string, string[]>();
    await Promise.all(
      names.map(async (name) => {
        const reasons: string[] = [];
        for await (const v of store.listVersions(name)) {
          const reason = v.tags['rotation-reason'];
          if (v.tags['rotation-id'] !== undefined && reason !== undefined) reasons.push(reason);
        }
        counts.set(name, reasons);
      }),
    );
    return counts;
  }

  beforeAll(async () => {
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    env = {
      ...vaultEnv(emulator),
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_ROTATION_INTERVAL: 'PT1H',
      ROTATOR_USAGE_GRACE: 'PT2S',
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_RATE_LIMIT: '1000/PT1S',
      ROTATOR_LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
  });

  it('never rotates a secret twice for one trigger, nor misses one coming due later (three replicas, hundreds of secrets)', async () => {
    const names = Array.from({ length: SECRETS }, (_, i) => `replica-${i}`);
    // Due 8 s after they are written: beyond the horizon (3 sweeps of 1 s) when the replicas start,
    // so their jobs can only come from a sweep made after the start, by whichever replica ran it.
    const comingDue = Array.from({ length: SECRETS / 4 }, (_, i) => `coming-${i}`);
    const dueAt = new Map<string, number>();
    const overdue = new Set(names.filter((_, i) => i % 2 === 0));
    // Odd indexes only: a scheduled rotation after a checkout would rightly satisfy it.
    const checkedOut = new Set(names.filter((_, i) => i % 4 === 1));
    const longAgo = DateTime.utc().minus({ hours: 2 }).toISO() ?? '';
    for (const name of names) {
      const tags: Record<string, string> = { 'rotation-target': 'keyvault' };
      if (overdue.has(name)) tags['rotated-at'] = longAgo;
      await store.set(name, 'initial', { tags });
    }
    for (const name of comingDue) {
      const due = DateTime.utc().plus({ seconds: 8 });
      dueAt.set(name, due.toMillis());
      await store.set(name, 'initial', {
        tags: { 'rotation-target': 'keyvault', 'rotated-at': due.minus({ hours: 1 }).toISO() ?? '' },
      });
    }
    const daemons = await Promise.all([0, 1, 2].map(async () => startDaemonProcess(env, await freePort())));
    const usage = new Queue('usage-events', { connection: { url: redisUrl }, prefix });
    // Each checked-out secret gets three checkouts, delivered through different replicas' listeners.
    for (const name of checkedOut) {
      for (let i = 0; i < 3; i += 1) {
        await usage.add('checkout', {
          secret: name,
          actor: 'e2e',
          reason: 'replicas',
          at: DateTime.utc().toISO(),
        });
      }
    }
    await usage.close();
    const expected = overdue.size + checkedOut.size + comingDue.length;
    let total = 0;
    await waitFor(
      'every trigger to be honoured',
      async () => {
        const counts = await rotationCounts([...names, ...comingDue]);
        total = [...counts.values()].reduce((n, r) => n + r.length, 0);
        return total >= expected ? counts : undefined;
      },
      120_000,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: ${total} of ${expected}\n${daemons.map((d) => d.logs().slice(-3000)).join('\n---\n')}`,
      );
    });
    // Let every replica run a few more sweeps: a duplicate would show up now.
    await pause(4_000);
    const counts = await rotationCounts([...names, ...comingDue]);
    const duplicates = [...counts.entries()].filter(([, reasons]) => reasons.length > 1);
    const missing = names.filter(
      (n) => (overdue.has(n) || checkedOut.has(n)) && (counts.get(n)?.length ?? 0) === 0,
    );
    const missedComing = comingDue.filter((n) => (counts.get(n) ?? []).join() !== 'scheduled');
    const early: string[] = [];
    for (const name of comingDue) {
      for await (const v of store.listVersions(name)) {
        const rotatedAt = v.tags['rotated-at'];
        if (v.tags['rotation-id'] !== undefined && rotatedAt !== undefined) {
          if (Date.parse(rotatedAt) < (dueAt.get(name) ?? 0)) early.push(name);
        }
      }
    }
    const unexpected = names.filter(
      (n) => !overdue.has(n) && !checkedOut.has(n) && (counts.get(n)?.length ?? 0) > 0,
    );
    process.stdout.write(
      `replicas: 3 daemons, ${SECRETS + comingDue.length} secrets, ${expected} triggers, duplicates ${duplicates.length}, missing ${missing.length + missedComing.length}, early ${early.length}, unexpected ${unexpected.length}\n`,
    );
    expect(duplicates).toEqual([]);
    expect(missing).toEqual([]);
    expect(missedComing).toEqual([]);
    expect(early).toEqual([]);
    expect(unexpected).toEqual([]);
    const codes = await Promise.all(daemons.map((d) => d.stop()));
    expect(codes).toEqual([0, 0, 0]);
  }, 180_000);

  it('on SIGTERM during a rotation, exits 0 and the rotation is completed or resumed by the next daemon', async () => {
    await store.set('slow-one', 'initial', {
      tags: { 'rotation-target': 'keyvault', 'rotated-at': DateTime.utc().minus({ hours: 2 }).toISO() ?? '' },
    });
    emulator.setFaults({ latencyMs: 700 });
    const first = await startDaemonProcess({ ...env, ROTATOR_SHUTDOWN_TIMEOUT: 'PT1S' }, await freePort());
    const rotations = new Queue('rotations', { connection: { url: redisUrl }, prefix });
    await waitFor(
      'a rotation to be running',
      async () => ((await rotations.getActiveCount()) > 0 ? true : undefined),
      30_000,
    );
    expect(await first.stop('SIGTERM')).toBe(0);
    emulator.setFaults({});
    const second = await startDaemonProcess(env, await freePort());
    const done = await waitFor(
      'the rotation to be complete',
      async () => {
        const reasons = (await rotationCounts(['slow-one'])).get('slow-one') ?? [];
        return reasons.length > 0 ? reasons : undefined;
      },
      60_000,
    );
    await pause(2_000);
    expect((await rotationCounts(['slow-one'])).get('slow-one')).toHaveLength(done.length);
    expect(done).toHaveLength(1);
    await rotations.close();
    expect(await second.stop()).toBe(0);
  }, 120_000);
});
