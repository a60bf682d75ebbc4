import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SecretStore } from '../../src/vault';
import { bounded, committedRotations, reportFigures } from '../support/chaos';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, type TestEmulator, vaultEnv } from '../support/emulator';
import { pause, waitFor } from '../support/wait';

const REDIS_URL = 'redis://127.0.0.1:6379/15';
const REPLICAS = bounded(2, 3);
const SECRETS = bounded(60, 400);

describe('chaos: replicas against a vault answering 30% 429/503, slowly', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  const prefix = `t-chaos-faults-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
  });

  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
  });

  it('records a checkout that arrives while the vault refuses every request, once the vault is back', async () => {
    await store.set('outage-jit', 'initial', { tags: { 'rotation-target': 'keyvault' } });
    const env = {
      ...vaultEnv(emulator),
      REDIS_URL,
      ROTATOR_QUEUE_PREFIX: `${prefix}-outage`,
      ROTATOR_USAGE_GRACE: 'PT1S',
      ROTATOR_SWEEP_INTERVAL: 'PT1H',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_LOG_LEVEL: 'warn',
    };
    const daemon = await startDaemonProcess(env, await freePort());
    const usage = new Queue('usage-events', { connection: { url: REDIS_URL }, prefix: `${prefix}-outage` });
    try {
      emulator.setFaults({ errorRate: 1 });
      // Added as any producer adds it: BullMQ's default of a single attempt.
      await usage.add('checkout', {
        secret: 'outage-jit',
        actor: 'chaos',
        reason: 'outage',
        at: DateTime.utc().toISO(),
      });
      await waitFor(
        'the listener to have met the outage',
        () => Promise.resolve((emulator.counters().injected ?? 0) > 8 || undefined),
        30_000,
      );
      emulator.setFaults({});
      const rotations = await waitFor(
        'the forced rotation after the outage',
        async () => {
          const found = await committedRotations(store, 'outage-jit');
          return found.length > 0 ? found : undefined;
        },
        60_000,
      );
      expect(rotations.map((r) => r.reason)).toEqual(['usage']);
      expect(await usage.getFailedCount()).toBe(0);
    } finally {
      emulator.setFaults({});
      await usage.close();
      expect(await daemon.stop()).toBe(0);
    }
  }, 120_000);

  it('completes every rotation and none twice', async () => {
    const started = Date.now();
    const names = Array.from({ length: SECRETS }, (_, i) => `flaky-${i}`);
    const overdue = new Set(names.filter((_, i) => i % 2 === 0));
    const checkedOut = new Set(names.filter((_, i) => i % 4 === 1));
    const longAgo = DateTime.utc().minus({ hours: 2 }).toISO() ?? '';
    for (const name of names) {
      const tags: Record<string, string> = { 'rotation-target': 'keyvault' };
      if (overdue.has(name)) tags['rotated-at'] = longAgo;
      await store.set(name, 'initial', { tags });
    }
    emulator.setFaults({ errorRate: 0.3, latencyMs: 20 });
    const env = {
      ...vaultEnv(emulator),
      REDIS_URL,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_ROTATION_INTERVAL: 'PT1H',
      ROTATOR_USAGE_GRACE: 'PT2S',
      ROTATOR_SWEEP_INTERVAL: 'PT2S',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_RATE_LIMIT: '1000/PT1S',
      ROTATOR_LOG_LEVEL: 'warn',
    };
    const daemons = [];
    for (let i = 0; i < REPLICAS; i += 1) daemons.push(await startDaemonProcess(env, await freePort()));
    try {
      const usage = new Queue('usage-events', { connection: { url: REDIS_URL }, prefix });
      for (const name of checkedOut)
        await usage.add('checkout', {
          secret: name,
          actor: 'chaos',
          reason: 'faults',
          at: DateTime.utc().toISO(),
        });
      await usage.close();
      const expected = [...overdue, ...checkedOut];
      await waitFor(
        'every trigger to be honoured despite the faults',
        async () => {
          for (const name of expected)
            if ((await committedRotations(store, name)).length === 0) return undefined;
          return true;
        },
        bounded(120_000, 600_000),
      );
      await pause(4_000);
      const faults = emulator.counters();
      let duplicates = 0;
      let unexpected = 0;
      for (const name of names) {
        const count = (await committedRotations(store, name)).length;
        if (count > 1) duplicates += count - 1;
        if (count > 0 && !overdue.has(name) && !checkedOut.has(name)) unexpected += 1;
      }
      reportFigures('30% 429/503 + latency, replicas', {
        replicas: REPLICAS,
        secrets: SECRETS,
        triggers: expected.length,
        injectedErrors: faults.injected ?? 0,
        missing: 0,
        duplicates,
        unexpected,
        seconds: Math.round((Date.now() - started) / 1000),
      });
      expect(duplicates).toBe(0);
      expect(unexpected).toBe(0);
    } finally {
      emulator.setFaults({});
      const codes = await Promise.all(daemons.map((d) => d.stop()));
      expect(codes.every((c) => c === 0)).toBe(true);
    }
  }, 900_000);
});
