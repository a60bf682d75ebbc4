import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { systemClock, type Clock } from '../../src/clock';
import { isRotatorError } from '../../src/errors';
import {
  parseRetirement,
  pendingSecretName,
  retirePending,
  RETIREMENT_TAG,
  rotateSecret,
  type RotationDeps,
  type RotationStep,
  type RotationTarget,
} from '../../src/rotation';
import { PENDING_TAGS } from '../../src/tags';
import { createEntraAppTarget } from '../../src/targets/entra-app';
import { createEntraUserTarget } from '../../src/targets/entra-user';
import { GraphClient } from '../../src/targets/graph';
import { staticTokenCredential, type SecretStore } from '../../src/vault';
import { startTestEmulator, type TestEmulator, emulatorStore } from '../support/emulator';
import { FakeEntra } from '../support/fake-entra';
import { deleteKeys } from '../support/redis-scan';
import { engineTestDeps } from '../support/engine-deps';

const TENANT = '11111111-2222-3333-4444-555555555555';

class SimulatedCrash extends Error {}

describe('Entra rotations end to end: engine, emulated Key Vault, fake Graph and token endpoint', () => {
  let fake: FakeEntra;
  let emulator: TestEmulator;
  let store: SecretStore;
  let redis: Redis;
  let appTarget: RotationTarget;
  let userTarget: RotationTarget;
  const prefix = `t-entra-${randomUUID().slice(0, 8)}`;

  function deps(onStep?: RotationDeps['onStep'], clock: Clock = systemClock): RotationDeps {
    return engineTestDeps(
      {
        store,
        redis,
        prefix,
        target: (kind) => (kind === 'entra-app' ? appTarget : kind === 'entra-user' ? userTarget : undefined),
      },
      {
        clock,
        verifyDelayMs: 10,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        onStep,
      },
    );
  }

  const request = (secretName: string, reason: 'manual' | 'usage' | 'scheduled' = 'manual') => ({
    secretName,
    reason,
    triggeredAt: DateTime.utc(),
  });
  const pendingOld = (tags: Record<string, string> | undefined): string =>
    parseRetirement(tags?.[RETIREMENT_TAG])?.version ?? 'none';
  /** A clock past any overlap, for the retirement follow-up. */
  const afterOverlap: Clock = { now: () => DateTime.utc().plus({ days: 7 }) };

  beforeAll(async () => {
    fake = await FakeEntra.start();
    emulator = await startTestEmulator();
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    const graph = new GraphClient({
      baseUrl: fake.graphUrl,
      credential: staticTokenCredential('graph-token'),
      fetch: fake.fetch(),
    });
    appTarget = createEntraAppTarget({
      graph,
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      verifyWindowMs: 2_000,
      verifyIntervalMs: 100,
      credentialOptions: fake.credentialOptions(),
    });
    userTarget = createEntraUserTarget({
      graph,
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      fetch: fake.fetch(),
    });
  });

  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
    await emulator.close();
    await fake.stop();
  });

  async function authenticatesApp(appId: string, value: string): Promise<boolean> {
    const ctx = {
      secretName: 'x',
      vaultUrl: emulator.url,
      tags: { 'rotation-account': appId },
      rotationId: 'check',
      readSibling: () => Promise.resolve(undefined),
    };
    return (await appTarget.verify(ctx, value)).accepted;
  }

  it('entra-app usage rotation: the new client secret works, the used one is removed at once and proven refused', async () => {
    const app = fake.addApp();
    const initial = fake.addPasswordDirectly(app.id, 'rotator:seed');
    const first = await store.set('app-cred', initial.secretText, {
      tags: { 'rotation-target': 'entra-app', 'rotation-account': app.id, 'rotation-key-id': initial.keyId },
    });
    const result = await rotateSecret(request('app-cred', 'usage'), deps());
    expect(result.outcome).toBe('rotated');
    expect(result.retirement?.state).toBe('proven');
    expect(result.retirement?.check).toContain(`key id ${initial.keyId} gone`);
    expect(result.retirement?.check).toContain('AADSTS7000215');
    const current = await store.get('app-cred');
    expect(current?.tags['rotation-id']).toBe(result.rotationId);
    expect(current?.tags['rotation-reason']).toBe('usage');
    expect(current?.tags['rotated-at']).toBeDefined();
    expect(current?.tags['rotation-key-id']).not.toBe(initial.keyId);
    expect(parseRetirement(current?.tags[RETIREMENT_TAG])).toMatchObject({
      state: 'proven',
      version: first.version,
    });
    expect(await authenticatesApp(app.id, current?.value ?? '')).toBe(true);
    expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([current?.tags['rotation-key-id']]);
    expect((await store.get(pendingSecretName('app-cred')))?.tags[PENDING_TAGS.state]).toBe('committed');
    const versions = [];
    for await (const v of store.listVersions('app-cred')) versions.push(v);
    expect(versions.find((v) => v.version === first.version)?.enabled).toBe(false);
  });

  it('entra-app manual rotation: the old secret keeps working through the overlap, then is retired and proven', async () => {
    const app = fake.addApp();
    const initial = fake.addPasswordDirectly(app.id, 'rotator:seed');
    const first = await store.set('app-overlap', initial.secretText, {
      tags: {
        'rotation-target': 'entra-app',
        'rotation-account': app.id,
        'rotation-key-id': initial.keyId,
        'rotation-overlap': 'PT6H',
      },
    });
    const result = await rotateSecret(request('app-overlap'), deps());
    expect(result.retirement?.state).toBe('pending');
    const current = await store.get('app-overlap');
    const pending = parseRetirement(current?.tags[RETIREMENT_TAG]);
    expect(pending).toMatchObject({ state: 'pending', version: first.version });
    const hours = (Date.parse(pending?.at ?? '') - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(5.9);
    expect(hours).toBeLessThanOrEqual(6);
    // Two secrets at most, both working; the new one ends from the schedule (2 × P13D + PT6H).
    expect(app.passwordCredentials).toHaveLength(2);
    expect(await authenticatesApp(app.id, initial.secretText)).toBe(true);
    const added = app.passwordCredentials.find((p) => p.keyId === current?.tags['rotation-key-id']);
    const days = (Date.parse(added?.endDateTime ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(26.2);
    expect(days).toBeLessThan(26.3);

    // Not due yet: nothing happens.
    expect(
      (await retirePending({ secretName: 'app-overlap', retiredVersion: first.version }, deps())).outcome,
    ).toBe('not-due');
    const done = await retirePending(
      { secretName: 'app-overlap', retiredVersion: first.version },
      deps(undefined, afterOverlap),
    );
    expect(done.outcome).toBe('retired');
    expect(done.retirement?.state).toBe('proven');
    expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([current?.tags['rotation-key-id']]);
    expect(await authenticatesApp(app.id, initial.secretText)).toBe(false);
    const after = await store.get('app-overlap');
    expect(parseRetirement(after?.tags[RETIREMENT_TAG])?.state).toBe('proven');
    expect(after?.version).toBe(current?.version);
    // A repeated follow-up (a duplicate job) finds the proof and does nothing.
    expect(
      (
        await retirePending(
          { secretName: 'app-overlap', retiredVersion: first.version },
          deps(undefined, afterOverlap),
        )
      ).outcome,
    ).toBe('satisfied');
  });

  it('entra-app: a usage during an overlap kills the overlapping secret and the used one at once', async () => {
    const app = fake.addApp();
    const initial = fake.addPasswordDirectly(app.id, 'rotator:seed');
    await store.set('app-used', initial.secretText, {
      tags: { 'rotation-target': 'entra-app', 'rotation-account': app.id, 'rotation-key-id': initial.keyId },
    });
    await rotateSecret(request('app-used', 'scheduled'), deps());
    const overlapping = await store.get('app-used');
    expect(app.passwordCredentials).toHaveLength(2);
    const used = await rotateSecret(
      { ...request('app-used', 'usage'), triggeredAt: DateTime.utc().plus({ seconds: 1 }) },
      deps(),
    );
    expect(used.overlapRetirement?.state).toBe('proven');
    expect(used.retirement?.state).toBe('proven');
    const current = await store.get('app-used');
    expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([current?.tags['rotation-key-id']]);
    expect(await authenticatesApp(app.id, initial.secretText)).toBe(false);
    expect(await authenticatesApp(app.id, overlapping?.value ?? '')).toBe(false);
  });

  it.each<RotationStep>(['prepared', 'applied', 'verified', 'committed', 'retired'])(
    'entra-app: a crash at %s is finished or rolled back by the next run, and Key Vault’s secret works',
    async (step) => {
      const app = fake.addApp();
      const initial = fake.addPasswordDirectly(app.id, 'rotator:seed');
      const name = `app-crash-${step}`;
      await store.set(name, initial.secretText, {
        tags: {
          'rotation-target': 'entra-app',
          'rotation-account': app.id,
          'rotation-key-id': initial.keyId,
        },
      });
      await expect(
        rotateSecret(
          request(name),
          deps((s) => {
            if (s === step) throw new SimulatedCrash(step);
          }),
        ),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      await rotateSecret(request(name), deps());
      const current = await store.get(name);
      expect(await authenticatesApp(app.id, current?.value ?? '')).toBe(true);
      // At most two rotator passwords: the committed one and, after a manual rotation, the overlapping one.
      const keys = app.passwordCredentials.map((p) => p.keyId);
      expect(keys).toContain(current?.tags['rotation-key-id']);
      expect(keys.length).toBeLessThanOrEqual(2);
      expect((await store.get(pendingSecretName(name)))?.tags[PENDING_TAGS.state]).not.toBe('prepared');
      // The follow-up after the overlap leaves the committed one alone.
      await retirePending(
        { secretName: name, retiredVersion: pendingOld(current?.tags) },
        deps(undefined, afterOverlap),
      );
      expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([current?.tags['rotation-key-id']]);
    },
  );

  it('entra-user: the new password signs in, the old one no longer does, and the version is tagged', async () => {
    fake.users.set('bob@contoso.test', 'Old-Passw0rd!x');
    await store.set('user-cred', 'Old-Passw0rd!x', {
      tags: { 'rotation-target': 'entra-user', 'rotation-account': 'bob@contoso.test' },
    });
    const result = await rotateSecret(request('user-cred'), deps());
    expect(result.outcome).toBe('rotated');
    const current = await store.get('user-cred');
    expect(fake.users.get('bob@contoso.test')).toBe(current?.value);
    expect(current?.value).not.toBe('Old-Passw0rd!x');
    expect(current?.tags['rotation-id']).toBe(result.rotationId);
    const ctx = {
      secretName: 'user-cred',
      vaultUrl: emulator.url,
      tags: current?.tags ?? {},
      rotationId: 'c',
      readSibling: () => Promise.resolve(undefined),
    };
    expect((await userTarget.verify(ctx, 'Old-Passw0rd!x')).accepted).toBe(false);
    expect((await userTarget.verify(ctx, current?.value ?? '')).accepted).toBe(true);
  });

  it('entra-user: an unknown user fails without a new version and leaves the password alone', async () => {
    await store.set('ghost-cred', 'Unchanged-1!', {
      tags: { 'rotation-target': 'entra-user', 'rotation-account': 'ghost@contoso.test' },
    });
    const error: unknown = await rotateSecret(request('ghost-cred'), deps()).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code.startsWith('TARGET_')).toBe(true);
    let versions = 0;
    for await (const _ of store.listVersions('ghost-cred')) versions += 1;
    expect(versions).toBe(1);
    expect((await store.get('ghost-cred'))?.value).toBe('Unchanged-1!');
  });
});
