import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DateTime } from 'luxon';
import { PENDING_TAGS } from '../../src/tags';
import type { SecretStore } from '../../src/vault';
import { bounded, committedRotations, queueManual, random, reportFigures } from '../support/chaos';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, type TestEmulator, vaultEnv } from '../support/emulator';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { clusterPolicy, writePolicyFile } from '../support/target-policy';
import { pause, waitFor } from '../support/wait';

const REDIS_URL = 'redis://127.0.0.1:6379/15';
const TRIALS = bounded(5, 25);
const KEYVAULT_SECRETS = bounded(10, 40);
const POSTGRES_SECRETS = bounded(4, 10);
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);

describe('chaos: kill -9 of the daemon at random moments while it rotates', () => {
  let pg: PostgresCluster;
  let emulator: TestEmulator;
  let store: SecretStore;
  const prefix = `t-chaos-kill-${randomUUID().slice(0, 8)}`;
  const roles = new Map<string, string>();
  const names: string[] = [];

  beforeAll(async () => {
    [pg, emulator] = await Promise.all([startPostgresCluster(), startTestEmulator()]);
    store = emulatorStore(emulator);
    await store.set('pg-admin', pg.adminUrl);
    for (let i = 0; i < POSTGRES_SECRETS; i += 1) {
      const role = `chaos_pg_${i}`;
      await pg.createRole(role, `Initial-Pg-${i}-x1`);
      await store.set(`pg-${i}`, `Initial-Pg-${i}-x1`, {
        tags: { 'rotation-target': 'postgres', 'rotation-account': role, 'rotation-connection': 'pg-admin' },
      });
      roles.set(`pg-${i}`, role);
      names.push(`pg-${i}`);
    }
    for (let i = 0; i < KEYVAULT_SECRETS; i += 1) {
      await store.set(`kv-${i}`, `Initial-Kv-${i}`, { tags: { 'rotation-target': 'keyvault' } });
      names.push(`kv-${i}`);
    }
  }, 120_000);

  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
    await pg?.stop();
  });

  it('loses no credential, honours every trigger and never rotates twice for one trigger', async () => {
    const env = {
      ...vaultEnv(emulator),
      REDIS_URL,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_RATE_LIMIT: '1000/PT1S',
      ROTATOR_LOG_LEVEL: 'warn',
      ROTATOR_TARGET_POLICY: writePolicyFile(clusterPolicy(pg, emulator.url, [...roles.values()])),
    };
    const next = random(SEED);
    const triggers: DateTime[] = [];
    const started = Date.now();
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const daemon = await startDaemonProcess(env, await freePort());
      triggers.push(await queueManual(REDIS_URL, prefix, store, names));
      // Somewhere between before the first rotation and after the last: every step boundary gets hit.
      await pause(Math.floor(next() * 1_500));
      await daemon.stop('SIGKILL');
    }
    const last = triggers[triggers.length - 1]?.toISO() ?? '';
    const survivor = await startDaemonProcess(env, await freePort());
    try {
      await waitFor(
        'every secret to be rotated after the last trigger',
        async () => {
          for (const name of names) {
            const rotations = await committedRotations(store, name);
            if ((rotations.at(-1)?.rotatedAt ?? '') < last) return undefined;
          }
          return true;
        },
        120_000,
      );
    } finally {
      expect(await survivor.stop()).toBe(0);
    }

    let lost = 0;
    let duplicates = 0;
    let rotations = 0;
    const bounds = triggers.map((t) => t.toISO() ?? '');
    for (const name of names) {
      const current = await store.get(name);
      const role = roles.get(name);
      const works =
        current !== undefined &&
        current.value.length > 0 &&
        (role === undefined || (await pg.canLogin(role, current.value)));
      if (!works) lost += 1;
      const committed = await committedRotations(store, name);
      rotations += committed.length;
      // Between two triggers at most one rotation may commit: a second would serve a trigger already served.
      for (let i = 0; i < bounds.length; i += 1) {
        const from = bounds[i] ?? '';
        const to = bounds[i + 1] ?? '\uffff';
        const inside = committed.filter((c) => c.rotatedAt >= from && c.rotatedAt < to).length;
        if (inside > 1) duplicates += inside - 1;
      }
    }
    const pendingOpen: string[] = [];
    for await (const props of store.list()) {
      if (props.name.startsWith('rotator-pending-') && props.tags[PENDING_TAGS.state] === 'prepared')
        pendingOpen.push(props.name);
    }
    reportFigures('kill -9 during rotations (keyvault + postgres)', {
      seed: SEED,
      kills: TRIALS,
      secrets: names.length,
      triggers: TRIALS * names.length,
      rotations,
      lost,
      duplicates,
      pendingOpen: pendingOpen.length,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(pendingOpen).toEqual([]);
  }, 600_000);
});
