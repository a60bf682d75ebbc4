import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SecretStore } from '../../src/vault';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { startTestEmulator, type TestEmulator, emulatorStore, vaultEnv } from '../support/emulator';
import { clusterPolicy, writePolicyFile } from '../support/target-policy';
import { waitFor } from '../support/wait';

const REDIS_DB = 6;

async function startOwnRedis(args: string[]): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no', ...args],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitFor('redis-server to answer', async () => {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return true;
    } catch {
      return undefined;
    } finally {
      probe.disconnect();
    }
  });
  return { url, stop: () => child.kill('SIGKILL') };
}

describe('the daemon protects what it cannot see (processes, emulated Key Vault)', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let env: Record<string, string>;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    env = {
      ...vaultEnv(emulator),
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: `t-safety-${randomUUID().slice(0, 8)}`,
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
      ROTATOR_RETRY_BACKOFF: 'PT0.1S',
      ROTATOR_MAX_ATTEMPTS: '3',
      // Lets the daemon act on the unreachable server of the quarantine test below.
      ROTATOR_TARGET_POLICY: writePolicyFile(
        clusterPolicy({ host: '127.0.0.1', port: 1 }, emulator.url, ['svc_flaky'], ['pg-unreachable-admin']),
      ),
    };
  });

  afterAll(async () => {
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
  });

  it('quarantines a rotation that keeps failing transiently, shows it, and lets an operator retry it', async () => {
    await store.set('pg-unreachable-admin', 'postgres://admin:pw@127.0.0.1:1/postgres');
    await store.set('svc-flaky', 'Initial-1', {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': 'svc_flaky',
        'rotation-connection': 'pg-unreachable-admin',
      },
    });
    const daemon = await startDaemonProcess(env, await freePort());
    try {
      const rotate = await runRotator(['rotate', 'svc-flaky', '--wait', '--output', 'json'], env);
      expect(rotate.code).toBe(1);
      const parsed = JSON.parse(rotate.stdout) as { results: Array<{ state: string; error: string }> };
      expect(parsed.results[0]?.state).toBe('failed');
      expect(parsed.results[0]?.error).toMatch(/^TARGET_UNREACHABLE: /);
      const status = await runRotator(['status', 'svc-flaky', '--output', 'json'], env);
      const row = (JSON.parse(status.stdout) as { secrets: Array<Record<string, unknown>> }).secrets[0];
      expect(row).toMatchObject({ lastOutcome: 'quarantined', failing: true });
      expect(String(row?.lastError)).toContain('TARGET_UNREACHABLE');
      expect(String(row?.lastError)).not.toContain(':pw@');
      const jobs = await runRotator(['jobs', '--failed', '--output', 'json'], env);
      const failed = (
        JSON.parse(jobs.stdout) as { failed: Array<{ id: string; attempts: number; secret: string }> }
      ).failed;
      const job = failed.find((f) => f.secret === 'svc-flaky');
      expect(job?.attempts).toBe(3);
      const retried = await runRotator(['retry', '--all-failed'], env);
      expect(retried.code).toBe(0);
      expect(retried.stdout).toMatch(/re-queued [1-9]\d* failed rotation/);
      // The value in Key Vault was never touched by the failing attempts.
      expect((await store.get('svc-flaky'))?.value).toBe('Initial-1');
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 60_000);

  it('refuses to start on a Redis that may evict keys, and only warns when told to', async () => {
    const evicting = await startOwnRedis(['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru']);
    try {
      const refused = await runRotator(['daemon'], {
        ...env,
        REDIS_URL: evicting.url,
        ROTATOR_HEALTH_PORT: String(await freePort()),
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("maxmemory-policy is 'allkeys-lru', not 'noeviction'");
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      const warned = await startDaemonProcess(
        { ...env, REDIS_URL: evicting.url, ROTATOR_REDIS_EVICTION_CHECK: 'warn' },
        await freePort(),
      );
      expect(warned.logs()).toContain('queue keys may be evicted');
      expect(await warned.stop()).toBe(0);
    } finally {
      evicting.stop();
    }
  }, 60_000);
});
