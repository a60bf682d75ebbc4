import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import pino from 'pino';
import { systemClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { startDaemon } from '../../src/daemon';
import type { RotationTarget } from '../../src/rotation';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import { createSecretStores, type SecretStore } from '../../src/vault';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { startTestEmulator, vaultEnv, type TestEmulator } from '../support/emulator';
import { deleteKeys } from '../support/redis-scan';
import { waitFor } from '../support/wait';

const REDIS_URL = 'redis://127.0.0.1:6379/0';

/** The `daemon.state` log lines of a JSON log, in order. */
function transitions(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event?: string; state?: string })
    .filter((record) => record.event === 'daemon.state')
    .map((record) => record.state ?? '');
}

async function readyz(port: number): Promise<{ status: number; state: string | undefined }> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  const body = (await response.json()) as { state?: string };
  return { status: response.status, state: body.state };
}

describe('the daemon lifecycle: starting, running, draining, stopped, failed', () => {
  let emulator: TestEmulator;
  let redis: Redis;
  const prefix = `t-life-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await emulator?.close();
  });

  it('reports running on /readyz, and on SIGTERM logs each transition once and exits 0', async () => {
    const env = { ...vaultEnv(emulator), REDIS_URL, ROTATOR_QUEUE_PREFIX: `${prefix}-p` };
    const port = await freePort();
    const daemon = await startDaemonProcess(env, port);
    const running = await waitFor('the daemon to be ready', async () => {
      const ready = await readyz(port);
      return ready.status === 200 ? ready : undefined;
    });
    expect(running.state).toBe('running');
    expect(await daemon.stop('SIGTERM')).toBe(0);
    expect(transitions(daemon.logs())).toEqual(['starting', 'running', 'draining', 'stopped']);
  }, 60_000);

  it('logs starting then failed, and exits 1, when Redis is not reachable', async () => {
    const env = { ...vaultEnv(emulator), REDIS_URL: 'redis://127.0.0.1:1', ROTATOR_QUEUE_PREFIX: prefix };
    const result = await runRotator(['daemon'], { ...env, ROTATOR_HEALTH_PORT: String(await freePort()) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('REDIS_URL');
    expect(transitions(result.stdout)).toEqual(['starting', 'failed']);
  }, 60_000);

  it('answers /readyz with 503 and state draining while a rotation in flight finishes', async () => {
    const config = loadConfig({
      ...vaultEnv(emulator),
      REDIS_URL,
      ROTATOR_QUEUE_PREFIX: `${prefix}-i`,
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
    });
    const [store] = createSecretStores(config) as [SecretStore];
    let entered = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: RotationTarget = {
      ...createKeyVaultTarget(),
      apply: async (_ctx, value) => {
        entered = true;
        await gate;
        return { value: value ?? '', tags: {} };
      },
    };
    let log = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    const daemon = await startDaemon({
      config,
      stores: [store],
      targets: (kind) => (kind === 'keyvault' ? held : undefined),
      logger: pino({ level: 'info' }, sink),
      clock: systemClock,
      healthPort: 0,
    });
    const name = `life-${randomUUID().slice(0, 8)}`;
    await store.set(name, 'initial', {
      tags: { 'rotation-target': 'keyvault', 'rotated-at': DateTime.utc().minus({ days: 20 }).toISO() ?? '' },
    });
    await waitFor('the rotation to reach the target', () => Promise.resolve(entered ? true : undefined));
    const stopped = daemon.stop();
    const draining = await waitFor('/readyz to report draining', async () => {
      const ready = await readyz(daemon.healthPort);
      return ready.state === 'draining' ? ready : undefined;
    });
    expect(draining.status).toBe(503);
    expect(daemon.state()).toBe('draining');
    release();
    await stopped;
    expect(daemon.state()).toBe('stopped');
    expect(transitions(log)).toEqual(['starting', 'running', 'draining', 'stopped']);
  }, 60_000);
});
