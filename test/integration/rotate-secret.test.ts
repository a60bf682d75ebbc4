import { emulatorStore } from '../support/emulator';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { isRotatorError } from '../../src/errors';
import { pendingSecretName, rotateSecret, type RotationDeps, type RotationStep } from '../../src/rotation';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import type { SecretStore } from '../../src/vault';
import { FakePasswordTarget } from '../support/fake-password-target';
import { deleteKeys } from '../support/redis-scan';
import { engineTestDeps, targetsByKind } from '../support/engine-deps';

class SimulatedCrash extends Error {}

describe('rotateSecret against the emulator and a real Redis lock', () => {
  let emulator: RunningEmulator;
  let store: SecretStore;
  let redis: Redis;
  const prefix = `test-rotate-${randomUUID()}`;
  const target = new FakePasswordTarget();

  function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
    return engineTestDeps(
      {
        store,
        redis,
        prefix,
        target: targetsByKind({ postgres: target, keyvault: createKeyVaultTarget() }),
      },
      overrides,
    );
  }

  async function managed(
    name: string,
    kind: 'postgres' | 'keyvault',
    initial = 'Initial-Passw0rd-xyz',
  ): Promise<void> {
    await store.set(name, initial, { tags: { 'rotation-target': kind, 'rotation-account': name } });
    if (kind === 'postgres') target.passwords.set(name, initial);
  }

  const request = (secretName: string) => ({
    secretName,
    reason: 'manual' as const,
    triggeredAt: DateTime.utc(),
  });

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await emulator.close();
  });

  it('rotates a Key Vault-only secret with one new version carrying rotated-at, reason and id', async () => {
    await managed('kv-only', 'keyvault', 'old-value');
    emulator.resetCounters();
    const result = await rotateSecret(request('kv-only'), deps());
    expect(result.outcome).toBe('rotated');
    const now = await store.get('kv-only');
    expect(now?.value).not.toBe('old-value');
    expect(now?.value).toHaveLength(32);
    expect(now?.tags).toMatchObject({
      'rotation-target': 'keyvault',
      'rotation-reason': 'manual',
      'rotation-id': result.rotationId,
    });
    expect(DateTime.fromISO(now?.tags['rotated-at'] ?? '').isValid).toBe(true);
    expect(emulator.counters().setSecret).toBe(1);
  });

  it('rotates an external target: the target accepts the new value, Key Vault holds it, the pending record is closed', async () => {
    await managed('pg-a', 'postgres');
    const result = await rotateSecret(request('pg-a'), deps());
    const now = await store.get('pg-a');
    expect(result.outcome).toBe('rotated');
    expect(target.passwords.get('pg-a')).toBe(now?.value);
    const pending = await store.get(pendingSecretName('pg-a'));
    expect(pending?.tags).toMatchObject({ 'rotation-state': 'committed', 'rotation-pending-for': 'pg-a' });
  });

  it('does nothing for a trigger that a later rotation already satisfied', async () => {
    await managed('pg-b', 'postgres');
    const trigger = DateTime.utc().minus({ seconds: 5 });
    await rotateSecret(request('pg-b'), deps());
    const before = (await store.get('pg-b'))?.version;
    const again = await rotateSecret({ secretName: 'pg-b', reason: 'usage', triggeredAt: trigger }, deps());
    expect(again.outcome).toBe('satisfied');
    expect((await store.get('pg-b'))?.version).toBe(before);
  });

  it('never lets two rotations of one secret overlap', async () => {
    await managed('pg-c', 'postgres');
    const results = await Promise.allSettled([
      rotateSecret(request('pg-c'), deps()),
      rotateSecret(request('pg-c'), deps()),
    ]);
    const locked = results.filter(
      (r) => r.status === 'rejected' && isRotatorError(r.reason) && r.reason.code === 'ROTATION_LOCKED',
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(locked).toHaveLength(1);
    expect(target.passwords.get('pg-c')).toBe((await store.get('pg-c'))?.value);
  });

  it('fails permanently, changing nothing, when a required tag is missing', async () => {
    await store.set('pg-untagged', 'x-Passw0rd-initial', { tags: { 'rotation-target': 'postgres' } });
    const error: unknown = await rotateSecret(request('pg-untagged'), deps()).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('SECRET_MISCONFIGURED');
    expect(isRotatorError(error) && error.permanent).toBe(true);
    expect((await store.get('pg-untagged'))?.value).toBe('x-Passw0rd-initial');
  });

  it('recovers from a crash at any step boundary: Key Vault ends holding the value the target accepts', async () => {
    const steps: RotationStep[] = ['prepared', 'applied', 'verified', 'committed', 'retired'];
    let trial = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<RotationStep | 'apply-fails'>(...steps, 'apply-fails'),
        async (crashAt) => {
          trial += 1;
          const name = `pg-crash-${trial}`;
          await managed(name, 'postgres');
          target.failNextApply = crashAt === 'apply-fails';
          const crashing = deps({
            onStep: (s) => {
              if (s === crashAt) throw new SimulatedCrash(`crash at ${s}`);
            },
          });
          await rotateSecret(request(name), crashing).catch(() => undefined);
          const after = await rotateSecret(request(name), deps());
          expect(['rotated', 'recovered']).toContain(after.outcome);
          const vault = await store.get(name);
          expect(target.passwords.get(name)).toBe(vault?.value);
          const pending = await store.get(pendingSecretName(name)).catch(() => undefined);
          expect(pending === undefined || pending.tags['rotation-state'] !== 'prepared').toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('commits the pending value with reason recovery when the crash came after the target changed', async () => {
    await managed('pg-d', 'postgres');
    const crashing = deps({
      onStep: (s) => {
        if (s === 'verified') throw new SimulatedCrash('crash');
      },
    });
    await rotateSecret(request('pg-d'), crashing).catch(() => undefined);
    const live = target.passwords.get('pg-d');
    expect((await store.get('pg-d'))?.value).not.toBe(live); // Key Vault still has the old value
    const result = await rotateSecret(
      { secretName: 'pg-d', reason: 'manual', triggeredAt: DateTime.utc().minus({ minutes: 1 }) },
      deps(),
    );
    expect(result).toMatchObject({ outcome: 'recovered', recovery: 'committed-pending' });
    const vault = await store.get('pg-d');
    expect(vault?.value).toBe(live);
    expect(vault?.tags['rotation-reason']).toBe('recovery');
  });

  it('keeps generated values out of Redis and out of error messages', async () => {
    await managed('pg-leak', 'postgres');
    await rotateSecret(request('pg-leak'), deps());
    const value = (await store.get('pg-leak'))?.value ?? '';
    target.passwords.set('pg-leak', 'rejected-by-target');
    const crashing = deps({
      onStep: (s) => {
        if (s === 'prepared') target.passwords.set('pg-leak', 'someone-else');
      },
      verifyAttempts: 1,
    });
    const error: unknown = await rotateSecret(request('pg-leak'), crashing).catch((e: unknown) => e);
    // The pending record holds only a tombstone once closed; the generated value is the committed one.
    const generated = (await store.get('pg-leak'))?.value ?? '';
    expect(generated).toHaveLength(32);
    expect(generated).not.toBe(value);
    const texts = [String(error), isRotatorError(error) ? error.hint : ''];
    for (const key of await redis.keys('*')) {
      const type = await redis.type(key);
      if (type === 'string') texts.push((await redis.get(key)) ?? '');
      if (type === 'hash') texts.push(JSON.stringify(await redis.hgetall(key)));
    }
    for (const text of texts) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(generated);
    }
  });

  it('quarantines (permanent error) when the target accepts none of the known values', async () => {
    await managed('pg-e', 'postgres');
    const crashing = deps({
      onStep: (s) => {
        if (s === 'applied') throw new SimulatedCrash('crash');
      },
    });
    await rotateSecret(request('pg-e'), crashing).catch(() => undefined);
    target.passwords.set('pg-e', 'changed-by-someone-else');
    const error: unknown = await rotateSecret(request('pg-e'), deps()).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('ROTATION_UNRECOVERABLE');
    expect(isRotatorError(error) && error.permanent).toBe(true);
    const pending = await store.get(pendingSecretName('pg-e'));
    expect(pending?.tags['rotation-state']).toBe('prepared'); // the record is kept, never lost
  });
});
