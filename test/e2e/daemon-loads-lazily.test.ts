import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { deletePrefix } from '../support/redis-scan';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, vaultEnv, type TestEmulator } from '../support/emulator';
import { waitFor } from '../support/wait';

const REDIS_DB = 11;

/** Packages and folders a keyvault-only daemon exporting no telemetry has no use for at rest. */
const NOT_LOADED = [
  '/node_modules/pg/',
  '/node_modules/node-forge/',
  '/node_modules/@azure/monitor-opentelemetry/',
  '/dist/emulator/',
];

describe('a daemon holds in memory only what its configuration uses', () => {
  let emulator: TestEmulator;
  let dir: string;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  const prefix = `t-lazy-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    dir = mkdtempSync(join(tmpdir(), 'rotator-lazy-'));
  });

  afterAll(async () => {
    await deletePrefix(redisUrl, prefix);
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never loads PostgreSQL, the emulator, its certificate library or the Azure Monitor distro when nothing names them', async () => {
    await emulatorStore(emulator).set('svc-lazy', 'Initial-1', { tags: { 'rotation-target': 'keyvault' } });
    const out = join(dir, 'loaded.json');
    const daemon = await startDaemonProcess(
      {
        ...vaultEnv(emulator),
        REDIS_URL: redisUrl,
        ROTATOR_QUEUE_PREFIX: prefix,
        NODE_OPTIONS: `--require ${join(__dirname, '..', 'support', 'loaded-modules.js')}`,
        LOADED_MODULES_OUT: out,
      },
      await freePort(),
    );
    // A sweep has listed the vault and scheduled the secret: the daemon has done a round of its work.
    const redis = new Redis(redisUrl);
    try {
      await waitFor('the first sweep to finish', async () =>
        (await redis.exists(`${prefix}:sweeps:completed`)) === 1 ? true : undefined,
      );
    } finally {
      redis.disconnect();
    }
    expect(await daemon.stop()).toBe(0);
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
    // What it does use is seen, so an empty or broken list cannot pass.
    expect(loaded.some((file) => file.includes('/node_modules/@azure/keyvault-secrets/'))).toBe(true);
    expect(loaded.some((file) => file.includes('/node_modules/bullmq/'))).toBe(true);
    for (const part of NOT_LOADED) {
      expect({ part, loaded: loaded.filter((file) => file.includes(part)).slice(0, 3) }).toEqual({
        part,
        loaded: [],
      });
    }
  });
});
