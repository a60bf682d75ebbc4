import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { SecretStore } from '../../src/vault';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { startTestEmulator, type TestEmulator, emulatorStore, vaultEnv } from '../support/emulator';
import { waitFor } from '../support/wait';

const REDIS_DB = 8;
const NO_STACK = /\n\s+at /;

describe('the operator CLI against a running daemon (processes, real Redis, emulated Key Vault)', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let env: Record<string, string>;
  let daemon: Awaited<ReturnType<typeof startDaemonProcess>>;
  const prefix = `t-cli-${randomUUID().slice(0, 8)}`;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;

  async function rotations(name: string): Promise<Array<Record<string, string>>> {
    const tags = [];
    for await (const v of store.listVersions(name))
      if (v.tags['rotation-id'] !== undefined) tags.push(v.tags);
    return tags;
  }

  beforeAll(async () => {
    emulator = await startTestEmulator();
    env = {
      ...vaultEnv(emulator),
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_USAGE_GRACE: 'PT3S',
      ROTATOR_SWEEP_INTERVAL: 'PT2S',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_LOG_LEVEL: 'info',
    };
    store = emulatorStore(emulator);
    await store.set('svc-good', 'Initial-1', { tags: { 'rotation-target': 'keyvault' } });
    await store.set('svc-broken', 'Initial-2', { tags: { 'rotation-target': 'postgres' } });
    await store.set('svc-jit', 'Initial-3', { tags: { 'rotation-target': 'keyvault' } });
    await store.set('not-managed', 'x');
    daemon = await startDaemonProcess(env, await freePort());
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
  });

  it('rotate --wait succeeds with exit 0 and names the outcome', async () => {
    const result = await runRotator(['rotate', 'svc-good', '--reason', 'e2e', '--wait'], env);
    expect(result.stderr).not.toMatch(NO_STACK);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^svc-good: rotated \(rotation [0-9a-f-]{36}\)$/m);
    const [latest] = (await rotations('svc-good')).slice(-1);
    expect(latest?.['rotation-reason']).toBe('manual');
  });

  it('rotate --wait fails with exit 1, naming the secret and why', async () => {
    const result = await runRotator(['rotate', 'svc-broken', '--wait', '--output', 'json'], env);
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as {
      results: Array<{ secret: string; state: string; error: string }>;
    };
    expect(parsed.results[0]).toMatchObject({ secret: 'svc-broken', state: 'failed' });
    expect(parsed.results[0]?.error).toMatch(/^SECRET_MISCONFIGURED: svc-broken: /);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^rotator: ROTATION_FAILED: .*svc-broken.* — /);
  });

  it('jobs --failed shows the failure and retry re-queues it', async () => {
    const jobs = await runRotator(['jobs', '--failed', '--output', 'json'], env);
    expect(jobs.code).toBe(0);
    const parsed = JSON.parse(jobs.stdout) as {
      counts: Record<string, Record<string, number>>;
      failed: Array<{ id: string; secret: string; failedReason: string }>;
      schedule: { horizon: string; queued: number; beyondHorizon: number; nextBeyond: string | null } | null;
    };
    expect(parsed.counts.rotations?.failed).toBeGreaterThanOrEqual(1);
    // Three sweep intervals of PT2S; the managed secrets are due in days, so none has a job yet.
    expect(parsed.schedule).toMatchObject({ horizon: 'PT6S', queued: 0 });
    expect(parsed.schedule?.beyondHorizon).toBeGreaterThanOrEqual(2);
    expect(parsed.schedule?.nextBeyond).toMatch(/^\d{4}-/);
    const failed = parsed.failed.find((f) => f.secret === 'svc-broken');
    expect(failed?.failedReason).toContain('SECRET_MISCONFIGURED');
    const retried = await runRotator(['retry', failed?.id ?? ''], env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('re-queued');
    const table = await runRotator(['jobs'], env);
    expect(table.stdout).toMatch(/^QUEUE\s+WAITING/m);
    expect(table.stdout).toMatch(/secrets due within PT6S have a delayed job; \d+ due later have none yet/);
  });

  it('checkout prints only the value on stdout, and a forced rotation follows the grace period', async () => {
    const before = await store.get('svc-jit');
    const result = await runRotator(
      ['checkout', 'svc-jit', '--reason', 'INC-1 e2e', '--actor', 'alice'],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${before?.value ?? ''}\n`);
    expect(result.stderr).toContain('alice checked out svc-jit');
    expect(result.stderr).toContain('forced rotation at');
    const done = await waitFor('the forced rotation', async () => {
      const r = await rotations('svc-jit');
      return r.length > 0 ? r : undefined;
    });
    expect(done[0]?.['rotation-reason']).toBe('usage');
    const after = await store.get('svc-jit');
    expect(after?.value).not.toBe(before?.value);
  });

  it('status --output json lists every managed secret with the documented fields', async () => {
    const result = await runRotator(['status', '--output', 'json'], env);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      secrets: Array<Record<string, unknown>>;
      summary: { managed: number; overdue: number; failing: number };
    };
    expect(parsed.secrets.map((s) => s.secret).sort()).toEqual(['svc-broken', 'svc-good', 'svc-jit']);
    for (const s of parsed.secrets) {
      for (const field of [
        'target',
        'lastRotated',
        'nextDue',
        'forcedRotationAt',
        'lastOutcome',
        'lastError',
        'overdue',
      ]) {
        expect(s).toHaveProperty(field);
      }
    }
    expect(parsed.secrets.find((s) => s.secret === 'svc-good')).toMatchObject({
      target: 'keyvault',
      lastOutcome: 'rotated',
      overdue: false,
    });
    expect(parsed.summary.managed).toBe(3);
    expect(parsed.summary.failing).toBeGreaterThanOrEqual(1);
    const table = await runRotator(['status'], env);
    expect(table.stdout).toMatch(/^3 managed, 0 overdue, \d+ failing/m);
    expect(DateTime.fromISO(String(parsed.secrets[0]?.nextDue)).isValid).toBe(true);
  });

  const badInputs: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['rotate without names or --all', ['rotate'], {}, /USAGE_INVALID: name the secrets/],
    [
      'rotate of an unknown secret',
      ['rotate', 'no-such-secret'],
      {},
      /SECRET_NOT_FOUND: no secret named no-such-secret/,
    ],
    ['rotate of an unmanaged secret', ['rotate', 'not-managed'], {}, /not managed by the rotator/],
    ['rotate of an invalid name', ['rotate', 'bad_name!'], {}, /is not a Key Vault secret name/],
    [
      'rotate --wait with a bad timeout',
      ['rotate', 'svc-good', '--wait', '--timeout', 'soon'],
      {},
      /--timeout 'soon'/,
    ],
    ['checkout without --reason', ['checkout', 'svc-good'], {}, /a checkout needs --reason/],
    ['status of an unknown secret', ['status', 'nope'], {}, /no managed secret named nope/],
    ['retry of an unknown job', ['retry', 'manual.none.0'], {}, /JOB_NOT_FOUND/],
    ['retry without arguments', ['retry'], {}, /give one job id, or --all-failed/],
    ['jobs with a bad limit', ['jobs', '--failed', '--limit', 'many'], {}, /--limit 'many'/],
    ['status with a bad output format', ['status', '--output', 'xml'], {}, /Allowed choices are table, json/],
    ['an unknown option', ['status', '--colour'], {}, /unknown option '--colour'/],
    [
      'a usage grace over PT8H',
      ['status'],
      { ROTATOR_USAGE_GRACE: 'PT9H' },
      /ROTATOR_USAGE_GRACE='PT9H' is invalid/,
    ],
    [
      'a bad rotation interval',
      ['status'],
      { ROTATOR_ROTATION_INTERVAL: '13 days' },
      /ROTATOR_ROTATION_INTERVAL='13 days'/,
    ],
  ];

  it.each(badInputs)('exits 2 with one line for %s', async (_label, args, extraEnv, message) => {
    const result = await runRotator(args, { ...env, ...extraEnv });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it('exits 1 with one line when Redis is unreachable', async () => {
    const result = await runRotator(['checkout', 'svc-good', '--reason', 'x'], {
      ...env,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(
      /^rotator: REDIS_UNREACHABLE: Redis at redis:\/\/127\.0\.0\.1:1 is not reachable — /,
    );
  });

  it('every command answers --help with an example', async () => {
    for (const command of ['daemon', 'rotate', 'checkout', 'status', 'jobs', 'retry', 'emulator']) {
      const result = await runRotator([command, '--help'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Example/);
    }
  });

  it('the daemon stops on SIGTERM with exit 0', async () => {
    expect(await daemon.stop('SIGTERM')).toBe(0);
    expect(daemon.logs()).toContain('daemon stopped');
  });
});
