import { emulatorStore } from '../support/emulator';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { pendingSecretName, type RotationStep } from '../../src/rotation';
import type { SecretStore } from '../../src/vault';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { clusterPolicy } from '../support/target-policy';
import { deleteKeys } from '../support/redis-scan';

const run = promisify(execFile);
// The child loads dist/: `npm test` builds first (pretest); run `npm run build` before running this alone.
const CHILD = join(__dirname, '..', 'support', 'rotate-child.js');
const LEASE_MS = 400;
const STEPS: readonly RotationStep[] = [
  'locked',
  'prepared',
  'applied',
  'verified',
  'committed',
  'retired',
  'closed',
];

interface ChildResult {
  killed: boolean;
  result: { ok: boolean; outcome?: string; recovery?: string | null; code?: string } | undefined;
}

describe('postgres rotations killed with SIGKILL at step boundaries (compiled build, real PostgreSQL)', () => {
  let pg: PostgresCluster;
  let emulator: RunningEmulator;
  let store: SecretStore;
  const prefix = `test-pg-crash-${randomUUID()}`;
  let secrets = 0;
  /** Every role the test creates: the target policy names them all. */
  const roles: string[] = [];

  async function rotateInChild(
    secretName: string,
    triggeredAt: string,
    killAt?: RotationStep,
  ): Promise<ChildResult> {
    const args = JSON.stringify({
      vaultUrl: emulator.url,
      caFile: emulator.caFile,
      secretName,
      triggeredAt,
      prefix,
      killAt,
      postgres: clusterPolicy(pg, emulator.url, roles),
      leaseMs: LEASE_MS,
    });
    try {
      const { stdout } = await run(process.execPath, [CHILD, args]);
      return { killed: false, result: JSON.parse(stdout.trim()) as ChildResult['result'] };
    } catch (error) {
      const signal = (error as { signal?: string }).signal;
      if (signal !== 'SIGKILL') throw error;
      // The dead process's lease must lapse before anyone else may take the secret.
      await sleep(LEASE_MS + 100);
      return { killed: true, result: undefined };
    }
  }

  /** A run to the end: a lease left by a killed run may still be there for a moment. */
  async function rotateToEnd(secretName: string, triggeredAt: string): Promise<ChildResult> {
    const deadline = Date.now() + 10_000;
    let next: ChildResult;
    do {
      next = await rotateInChild(secretName, triggeredAt);
    } while (next.result?.code === 'ROTATION_LOCKED' && Date.now() < deadline);
    return next;
  }

  async function versions(name: string): Promise<string[]> {
    const found: string[] = [];
    for await (const props of store.listVersions(name)) found.push(props.version);
    return found;
  }

  async function managedRole(): Promise<{ name: string; role: string; initial: string }> {
    secrets += 1;
    const name = `crash-${secrets}`;
    const role = `crash_role_${secrets}`;
    const initial = `Init-${randomUUID()}`;
    await pg.createRole(role, initial);
    roles.push(role);
    await store.set(name, initial, {
      tags: { 'rotation-target': 'postgres', 'rotation-account': role, 'rotation-connection': 'pg-admin' },
    });
    return { name, role, initial };
  }

  /**
   * What every crash must leave once a later run has finished: the Key Vault value logs in, the
   * pre-rotation password does not (recovery rolls back only to rotate afterwards, since the
   * trigger is still unsatisfied), one rotation made exactly one version, and no record stays open.
   */
  async function expectNothingLost(secret: { name: string; role: string; initial: string }): Promise<void> {
    const vault = await store.get(secret.name);
    if (vault === undefined) throw new Error(`${secret.name} vanished`);
    expect(await pg.canLogin(secret.role, vault.value)).toBe(true);
    expect(vault.value).not.toBe(secret.initial);
    expect(await pg.canLogin(secret.role, secret.initial)).toBe(false);
    expect(await versions(secret.name)).toHaveLength(2);
    const pending = await store.get(pendingSecretName(secret.name));
    expect(pending?.tags['rotation-state']).not.toBe('prepared');
    if (pending !== undefined && pending.tags['rotation-state'] === 'committed') {
      // A closed record is a tombstone: no readable version of it holds the value Key Vault serves.
      expect(pending.value).not.toBe(vault.value);
      for await (const props of store.listVersions(pendingSecretName(secret.name))) {
        if (!props.enabled) continue;
        expect((await store.get(pendingSecretName(secret.name), props.version))?.value).not.toBe(vault.value);
      }
    }
  }

  beforeAll(async () => {
    [pg, emulator] = await Promise.all([startPostgresCluster(), startEmulator({ port: 0 })]);
    store = emulatorStore(emulator, 't');
    await store.set('pg-admin', pg.adminUrl);
  });
  afterAll(async () => {
    const redis = new Redis('redis://127.0.0.1:6379');
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await emulator?.close();
    await pg?.stop();
  });

  it.each(STEPS)(
    'a rotation killed at %s loses no credential and the next run completes it',
    async (killAt) => {
      const secret = await managedRole();
      const trigger = DateTime.utc().toISO();
      const first = await rotateInChild(secret.name, trigger, killAt);
      expect(first.killed).toBe(true);
      const next = await rotateToEnd(secret.name, trigger);
      expect(next.result).toMatchObject({ ok: true });
      expect(['rotated', 'recovered', 'satisfied']).toContain(next.result?.outcome);
      if (killAt === 'applied' || killAt === 'verified') {
        // The role already took the pending value: recovery must commit it, not roll back or restore.
        expect(next.result?.recovery).toBe('committed-pending');
      }
      await expectNothingLost(secret);
    },
  );

  it('any sequence of kills, including kills during recovery, ends with the Key Vault value being the live one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...STEPS), { minLength: 1, maxLength: 3 }), async (kills) => {
        const secret = await managedRole();
        const trigger = DateTime.utc().toISO();
        for (const killAt of kills) {
          // A run that finishes before reaching its kill point is fine: the trigger is then satisfied.
          const attempt = await rotateInChild(secret.name, trigger, killAt);
          if (!attempt.killed) expect(attempt.result).toMatchObject({ ok: true });
        }
        const last = await rotateToEnd(secret.name, trigger);
        expect(last.result).toMatchObject({ ok: true });
        await expectNothingLost(secret);
      }),
      { numRuns: 15 },
    );
    // About 35 s alone; the margin is for a machine busy with the rest of the suite.
  }, 180_000);
});
