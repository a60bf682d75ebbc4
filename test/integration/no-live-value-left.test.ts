import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { isRotatorError } from '../../src/errors';
import { pendingSecretName, retirePending, rotateSecret, type RotationDeps } from '../../src/rotation';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import type { TargetContext } from '../../src/rotation';
import type { SecretStore } from '../../src/vault';
import { emulatorStore } from '../support/emulator';
import { FakePasswordTarget } from '../support/fake-password-target';
import { deleteKeys } from '../support/redis-scan';
import { engineTestDeps, targetsByKind } from '../support/engine-deps';

/** Every enabled version of a secret, with its value (what anyone with read access could get). */
async function readableValues(store: SecretStore, name: string): Promise<string[]> {
  const values: string[] = [];
  for await (const props of store.listVersions(name)) {
    if (!props.enabled) continue;
    const found = await store.get(name, props.version);
    if (found !== undefined) values.push(found.value);
  }
  return values;
}

describe('no live value left behind, and verdicts that could have been "no"', () => {
  let emulator: RunningEmulator;
  let store: SecretStore;
  let adminStore: SecretStore;
  let adminEmulator: RunningEmulator;
  let redis: Redis;
  const prefix = `test-harden-${randomUUID()}`;
  let target: FakePasswordTarget;

  function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
    return engineTestDeps(
      {
        store,
        redis,
        prefix,
        target: targetsByKind({ postgres: target, keyvault: createKeyVaultTarget() }),
      },
      {
        verifyAttempts: 1,
        ...overrides,
      },
    );
  }
  const request = (secretName: string) => ({
    secretName,
    reason: 'manual' as const,
    triggeredAt: DateTime.utc(),
  });
  async function managed(name: string, initial = 'Initial-Passw0rd-xyz'): Promise<void> {
    await store.set(name, initial, { tags: { 'rotation-target': 'postgres', 'rotation-account': name } });
    target.passwords.set(name, initial);
  }

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    adminEmulator = await startEmulator({ port: 0 });
    store = emulatorStore(emulator);
    adminStore = emulatorStore(adminEmulator);
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });
  beforeEach(() => {
    target = new FakePasswordTarget();
  });
  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await emulator.close();
    await adminEmulator.close();
  });

  it('leaves the live value only in the secret itself: the pending record is a disabled version plus a tombstone', async () => {
    await managed('pg-tomb');
    await rotateSecret(request('pg-tomb'), deps());
    const live = (await store.get('pg-tomb'))?.value ?? '';
    expect(target.passwords.get('pg-tomb')).toBe(live);
    const pendingName = pendingSecretName('pg-tomb');
    expect(await readableValues(store, pendingName)).not.toContain(live);
    const latest = await store.get(pendingName);
    expect(latest?.tags).toMatchObject({ 'rotation-state': 'committed', 'rotation-pending-for': 'pg-tomb' });
    // A second rotation, and recovery after it, still work with the closed record in place.
    await rotateSecret(request('pg-tomb'), deps());
    const second = (await store.get('pg-tomb'))?.value ?? '';
    expect(second).not.toBe(live);
    expect(target.passwords.get('pg-tomb')).toBe(second);
    expect(await readableValues(store, pendingName)).not.toContain(second);
  });

  it('closes the record the same way when recovery finishes an interrupted rotation', async () => {
    await managed('pg-tomb-rec');
    const crashing = deps({
      onStep: (s) => {
        if (s === 'verified') throw new Error('simulated crash');
      },
    });
    await rotateSecret(request('pg-tomb-rec'), crashing).catch(() => undefined);
    const result = await rotateSecret(request('pg-tomb-rec'), deps());
    expect(result.recovery).toBe('committed-pending');
    const live = (await store.get('pg-tomb-rec'))?.value ?? '';
    expect(target.passwords.get('pg-tomb-rec')).toBe(live);
    expect(await readableValues(store, pendingSecretName('pg-tomb-rec'))).not.toContain(live);
  });

  it('keeps at most one older keyvault version readable', async () => {
    await store.set('kv-versions', 'Initial-Kv-Value-1', { tags: { 'rotation-target': 'keyvault' } });
    for (let i = 0; i < 4; i += 1) await rotateSecret(request('kv-versions'), deps());
    let enabled = 0;
    let total = 0;
    for await (const props of store.listVersions('kv-versions')) {
      total += 1;
      if (props.enabled) enabled += 1;
    }
    expect(total).toBe(5);
    expect(enabled).toBe(2);
    expect((await store.get('kv-versions'))?.enabled).toBe(true);
  });

  /** A rotation (through `rotationStore`), then its follow-up once the overlap has ended. */
  async function rotateThenFollowUp(name: string, rotationStore: SecretStore = store): Promise<void> {
    const { retirement } = await rotateSecret(request(name), deps({ store: rotationStore }));
    const afterOverlap = { now: () => DateTime.utc().plus({ days: 3 }) };
    await retirePending(
      { secretName: name, retiredVersion: retirement?.version ?? '' },
      deps({ clock: afterOverlap }),
    );
  }

  it('disables every readable version behind one the rotator did not commit, before its commit', async () => {
    for (let i = 1; i <= 4; i += 1) {
      await store.set('kv-by-hand', `By-Hand-Value-${i}`, { tags: { 'rotation-target': 'keyvault' } });
    }
    const before = (await store.get('kv-by-hand'))?.version;
    await rotateSecret(request('kv-by-hand'), deps());
    const enabled: string[] = [];
    for await (const props of store.listVersions('kv-by-hand'))
      if (props.enabled) enabled.push(props.version);
    expect(enabled).toHaveLength(2);
    expect(enabled).toContain(before);
  });

  it('leaves no older version readable when a first rotation crashes just after its commit', async () => {
    for (let i = 1; i <= 3; i += 1) {
      await store.set('kv-crash-commit', `Crash-Value-${i}`, { tags: { 'rotation-target': 'keyvault' } });
    }
    const crashing = deps({
      onStep: (step) => {
        if (step === 'committed') throw new Error('simulated crash');
      },
    });
    const once = request('kv-crash-commit');
    await expect(rotateSecret(once, crashing)).rejects.toThrow('simulated crash');
    expect((await rotateSecret(once, deps())).outcome).toBe('satisfied');
    expect(await readableValues(store, 'kv-crash-commit')).toHaveLength(2);
  });

  it('lists no versions to rotate a keyvault secret after its follow-up, and keeps one older readable', async () => {
    await store.set('kv-steady', 'Steady-Initial-1', { tags: { 'rotation-target': 'keyvault' } });
    const listed: string[] = [];
    // The store itself, but counting its version listings.
    const counting = Object.create(store, {
      listVersions: {
        value: (name: string) => {
          listed.push(name);
          return store.listVersions(name);
        },
      },
    }) as SecretStore;
    await rotateThenFollowUp('kv-steady', counting);
    expect(listed).toEqual(['kv-steady']);
    for (let i = 0; i < 3; i += 1) await rotateThenFollowUp('kv-steady', counting);
    expect(listed).toEqual(['kv-steady']);
    expect(await readableValues(store, 'kv-steady')).toHaveLength(1);
    await rotateSecret(request('kv-steady'), deps({ store: counting }));
    expect(await readableValues(store, 'kv-steady')).toHaveLength(2);
    // A value set by hand carries no retirement: the next rotation lists again and disables behind it.
    await store.set('kv-steady', 'Set-By-Hand-2', { tags: { 'rotation-target': 'keyvault' } });
    await rotateSecret(request('kv-steady'), deps({ store: counting }));
    expect(listed).toEqual(['kv-steady', 'kv-steady']);
    const readable = await readableValues(store, 'kv-steady');
    expect(readable).toHaveLength(2);
    expect(readable).toContain('Set-By-Hand-2');
  });

  it('lists versions behind a value set by hand later with the tags of a rotated version copied', async () => {
    await store.set('kv-copied', 'Copied-Initial-1', { tags: { 'rotation-target': 'keyvault' } });
    await rotateThenFollowUp('kv-copied');
    const rotated = await store.get('kv-copied');
    // The rotated version's tags, copied an hour after that rotation: its record names the rotated
    // version's predecessor, not this one's.
    const anHourEarlier = DateTime.fromISO(rotated?.tags['rotated-at'] ?? '').minus({ hours: 1 });
    await store.set('kv-copied', 'Copied-By-Hand-2', {
      tags: { ...rotated?.tags, 'rotated-at': anHourEarlier.toISO() ?? '' },
    });
    await rotateSecret(request('kv-copied'), deps());
    expect(await readableValues(store, 'kv-copied')).toEqual(expect.arrayContaining(['Copied-By-Hand-2']));
    expect(await readableValues(store, 'kv-copied')).toHaveLength(2);
    expect(await readableValues(store, 'kv-copied')).not.toContain(rotated?.value);
  });

  it('stops with TARGET_CANNOT_VERIFY, before any change, when the target accepts a wrong credential', async () => {
    await managed('pg-trusting', 'Trusting-Initial-1');
    target.acceptsAnything = true;
    const before = (await store.get('pg-trusting'))?.version;
    const error: unknown = await rotateSecret(request('pg-trusting'), deps()).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_CANNOT_VERIFY');
    expect(isRotatorError(error) && error.permanent).toBe(true);
    expect(target.calls.filter((c) => c.startsWith('apply'))).toEqual([]);
    expect((await store.get('pg-trusting'))?.version).toBe(before);
    expect(await store.get(pendingSecretName('pg-trusting'))).toBeUndefined();
  });

  it('never commits a pending value on a verdict from a target that cannot refuse', async () => {
    await managed('pg-trust-rec', 'Trusting-Initial-2');
    const crashing = deps({
      onStep: (s) => {
        if (s === 'applied') throw new Error('simulated crash');
      },
    });
    await rotateSecret(request('pg-trust-rec'), crashing).catch(() => undefined);
    const before = await store.get('pg-trust-rec');
    target.acceptsAnything = true; // say pg_hba was switched to trust since
    const error: unknown = await rotateSecret(request('pg-trust-rec'), deps()).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_CANNOT_VERIFY');
    const after = await store.get('pg-trust-rec');
    expect(after?.version).toBe(before?.version);
    expect((await store.get(pendingSecretName('pg-trust-rec')))?.tags['rotation-state']).toBe('prepared');
  });

  it('reads an admin connection from a second vault only through a store the deps name', async () => {
    await adminStore.set('pg-admin', 'postgres://admin:pw@db.example:5432/postgres');
    const seen: string[] = [];
    const reading = new FakePasswordTarget();
    reading.precheck = async (ctx: TargetContext): Promise<void> => {
      seen.push((await ctx.readSibling(ctx.tags['rotation-connection'] ?? '')) ?? 'missing');
    };
    const ref = `${adminEmulator.url}/secrets/pg-admin`;
    await store.set('pg-second-vault', 'Initial-Passw0rd-2v', {
      tags: { 'rotation-target': 'postgres', 'rotation-account': 'r', 'rotation-connection': ref },
    });
    reading.passwords.set('r', 'Initial-Passw0rd-2v');
    const without = await rotateSecret(request('pg-second-vault'), deps({ target: () => reading })).catch(
      (e: unknown) => e,
    );
    expect(isRotatorError(without) && without.code).toBe('SECRET_MISCONFIGURED');
    expect(reading.calls).toEqual([]);
    await rotateSecret(
      request('pg-second-vault'),
      deps({
        target: () => reading,
        connectionStore: (url) => (url === adminEmulator.url.toLowerCase() ? adminStore : undefined),
      }),
    );
    expect(seen).toEqual(['postgres://admin:pw@db.example:5432/postgres']);
  });
});
