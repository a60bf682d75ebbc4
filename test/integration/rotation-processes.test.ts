import { emulatorStore } from '../support/emulator';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { SecretStore } from '../../src/vault';
import { deleteKeys } from '../support/redis-scan';

const run = promisify(execFile);
const CHILD = join(__dirname, '..', 'support', 'rotate-child.js');

interface ChildResult {
  killed: boolean;
  result: { ok: boolean; outcome?: string; code?: string } | undefined;
}

describe('rotations in separate processes (compiled build)', () => {
  let emulator: RunningEmulator;
  let store: SecretStore;
  const prefix = `test-proc-${randomUUID()}`;

  async function rotateInChild(
    secretName: string,
    triggeredAt: string,
    killAt?: string,
  ): Promise<ChildResult> {
    const args = JSON.stringify({
      vaultUrl: emulator.url,
      caFile: emulator.caFile,
      secretName,
      triggeredAt,
      prefix,
      killAt,
    });
    try {
      const { stdout } = await run(process.execPath, [CHILD, args]);
      return { killed: false, result: JSON.parse(stdout.trim()) as ChildResult['result'] };
    } catch (error) {
      return { killed: (error as { signal?: string }).signal === 'SIGKILL', result: undefined };
    }
  }

  async function versionCount(name: string): Promise<number> {
    let n = 0;
    for await (const _ of store.listVersions(name)) n += 1;
    return n;
  }

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    store = emulatorStore(emulator, 't');
  });
  afterAll(async () => {
    const redis = new Redis('redis://127.0.0.1:6379');
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await emulator.close();
  });

  it('two processes racing on one trigger create exactly one new version', async () => {
    await store.set('race', 'initial', { tags: { 'rotation-target': 'keyvault' } });
    const trigger = DateTime.utc().toISO();
    const results = await Promise.all([rotateInChild('race', trigger), rotateInChild('race', trigger)]);
    const outcomes = results.map((r) => r.result?.outcome ?? r.result?.code).sort();
    expect(outcomes).toContain('rotated');
    expect(outcomes.filter((o) => o === 'rotated')).toHaveLength(1);
    expect(await versionCount('race')).toBe(2);
  });

  it.each(['locked', 'committed'])(
    'a process killed with SIGKILL at %s loses nothing and the next run completes',
    async (killAt) => {
      const name = `killed-${killAt}`;
      await store.set(name, 'initial', { tags: { 'rotation-target': 'keyvault' } });
      const trigger = DateTime.utc().toISO();
      const first = await rotateInChild(name, trigger, killAt);
      expect(first.killed).toBe(true);
      // The dead holder's lease (2 s) must lapse before another process can take the secret.
      let next: ChildResult;
      const deadline = Date.now() + 10_000;
      do {
        next = await rotateInChild(name, trigger);
      } while (next.result?.code === 'ROTATION_LOCKED' && Date.now() < deadline);
      expect(['rotated', 'satisfied']).toContain(next.result?.outcome);
      const vault = await store.get(name);
      expect(vault?.value).not.toBe('initial');
      expect(await versionCount(name)).toBe(2);
    },
  );
});
