import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SecretStore } from '../../src/vault';
import { bounded, committedRotations, reportFigures } from '../support/chaos';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, type TestEmulator, vaultEnv } from '../support/emulator';
import { waitFor } from '../support/wait';

const REDIS_URL = 'redis://127.0.0.1:6379/15';
const STACK = /\n\s+at /;

/** Usage events as a careless or hostile producer sends them: wrong types, missing fields, junk. */
const fuzzedEvent = fc.oneof(
  fc.anything(),
  fc.record(
    {
      secret: fc.oneof(
        fc.string(),
        fc.constantFrom('fuzz-target', 'no-such-secret', '../etc', 'a'.repeat(200)),
      ),
      vault: fc.oneof(fc.string(), fc.constant('https://elsewhere.vault.azure.net')),
      actor: fc.oneof(fc.string(), fc.constant(''), fc.integer()),
      reason: fc.oneof(fc.string(), fc.constant(' ')),
      at: fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constant(DateTime.utc().plus({ days: 1 }).toISO()),
      ),
      checkoutId: fc.oneof(fc.string(), fc.string({ minLength: 200, maxLength: 300 })),
      traceparent: fc.string(),
    },
    { requiredKeys: [] },
  ),
);

const cliToken = fc.oneof(
  fc.constantFrom(
    'rotate',
    'checkout',
    'status',
    'jobs',
    'retry',
    'config',
    '--all',
    '--reason',
    '--output',
    'json',
    'table',
    '--failed',
    '--actor',
    '--timeout',
    'PT1S',
    '-h',
    '--help',
    'fuzz-target',
    'good-0',
  ),
  fc.string({ maxLength: 20 }),
);

describe('chaos: fuzzed usage events and CLI arguments', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let env: Record<string, string>;
  const prefix = `t-chaos-fuzz-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    await store.set('fuzz-target', 'initial', { tags: { 'rotation-target': 'keyvault' } });
    env = {
      ...vaultEnv(emulator),
      REDIS_URL,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_USAGE_GRACE: 'PT2S',
      ROTATOR_SWEEP_INTERVAL: 'PT2S',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
  });

  it('rejects malformed usage events with reasons, keeps running and still forces the genuine checkouts', async () => {
    const started = Date.now();
    const good = Array.from({ length: bounded(5, 20) }, (_, i) => `good-${i}`);
    for (const name of good) await store.set(name, 'initial', { tags: { 'rotation-target': 'keyvault' } });
    const healthPort = await freePort();
    const daemon = await startDaemonProcess(env, healthPort);
    const usage = new Queue('usage-events', { connection: { url: REDIS_URL }, prefix });
    try {
      const junk = fc.sample(fuzzedEvent, { numRuns: bounded(150, 2000), seed: 42 });
      const genuine = good.map((secret) => ({
        secret,
        actor: 'alice',
        reason: 'INC-9',
        at: DateTime.utc().toISO(),
      }));
      // Genuine events are interleaved with the junk, so a crash or a stuck worker would cost them.
      const batch = [...junk];
      genuine.forEach((event, i) => batch.splice(Math.floor((i * batch.length) / genuine.length), 0, event));
      await usage.addBulk(batch.map((data) => ({ name: 'checkout', data })));
      const settled = await waitFor(
        'every event to be processed',
        async () => {
          const counts = await usage.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
          return (counts.completed ?? 0) + (counts.failed ?? 0) === batch.length ? counts : undefined;
        },
        60_000,
      );
      const failed = await usage.getFailed(0, -1);
      const withoutReason = failed.filter((job) => !/^USAGE_INVALID: .+/.test(job.failedReason ?? ''));
      await waitFor(
        'every genuine checkout to force its rotation',
        async () => {
          for (const name of good) {
            const rotations = await committedRotations(store, name);
            if (!rotations.some((r) => r.reason === 'usage')) return undefined;
          }
          return true;
        },
        30_000,
      );
      const healthy = (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).ok;
      reportFigures('fuzzed usage events', {
        events: batch.length,
        genuine: genuine.length,
        rejected: settled.failed ?? 0,
        rejectedWithoutReason: withoutReason.length,
        genuineLost: 0,
        daemonCrashes: daemon.child.exitCode === null ? 0 : 1,
        seconds: Math.round((Date.now() - started) / 1000),
      });
      expect(withoutReason.map((j) => j.failedReason)).toEqual([]);
      expect(settled.failed ?? 0).toBeGreaterThan(batch.length / 2);
      expect(healthy).toBe(true);
    } finally {
      await usage.close();
      expect(await daemon.stop()).toBe(0);
    }
  }, 180_000);

  it('answers random CLI arguments with exit 0, 1 or 2 and a one-line message, never a stack trace', async () => {
    const started = Date.now();
    const runs = fc.sample(fc.array(cliToken, { minLength: 0, maxLength: 5 }), {
      numRuns: bounded(12, 80),
      seed: 7,
    });
    const failures: string[] = [];
    for (const args of runs) {
      const result = await runRotator(args, env, 30_000);
      const ok =
        result.code !== null &&
        [0, 1, 2].includes(result.code) &&
        !STACK.test(result.stderr) &&
        (result.code === 0 || result.stderr.trim().length > 0);
      if (!ok)
        failures.push(`${JSON.stringify(args)} → ${result.code ?? 'signal'}: ${result.stderr.slice(0, 300)}`);
    }
    reportFigures('fuzzed CLI arguments', {
      runs: runs.length,
      crashes: failures.length,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    expect(failures).toEqual([]);
  }, 300_000);
});
