import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { systemClock } from '../../src/clock';
import { isRotatorError } from '../../src/errors';
import { RedisRotationLock } from '../../src/locking';
import {
  pendingSecretName,
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

  function deps(onStep?: RotationDeps['onStep']): RotationDeps {
    return {
      store,
      target: (kind) => (kind === 'entra-app' ? appTarget : kind === 'entra-user' ? userTarget : undefined),
      lock: new RedisRotationLock(redis, { prefix, leaseMs: 5_000 }),
      clock: systemClock,
      newRotationId: () => randomUUID(),
      verifyAttempts: 2,
      verifyDelayMs: 10,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      onStep,
    };
  }

  const request = (secretName: string) => ({
    secretName,
    reason: 'manual' as const,
    triggeredAt: DateTime.utc(),
  });

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
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
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

  it('entra-app: the new client secret works, is committed with its key id, and the old one is removed', async () => {
    const app = fake.addApp();
    const initial = fake.addPasswordDirectly(app.id, 'rotator:seed');
    await store.set('app-cred', initial.secretText, {
      tags: { 'rotation-target': 'entra-app', 'rotation-account': app.id, 'rotation-key-id': initial.keyId },
    });
    const result = await rotateSecret(request('app-cred'), deps());
    expect(result.outcome).toBe('rotated');
    const current = await store.get('app-cred');
    expect(current?.tags['rotation-id']).toBe(result.rotationId);
    expect(current?.tags['rotation-reason']).toBe('manual');
    expect(current?.tags['rotated-at']).toBeDefined();
    expect(current?.tags['rotation-key-id']).not.toBe(initial.keyId);
    expect(await authenticatesApp(app.id, current?.value ?? '')).toBe(true);
    expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([current?.tags['rotation-key-id']]);
    expect((await store.get(pendingSecretName('app-cred')))?.tags[PENDING_TAGS.state]).toBe('committed');
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
      // Overlap ends once the rotation is over: one rotator password left, the committed one.
      expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([current?.tags['rotation-key-id']]);
      expect((await store.get(pendingSecretName(name)))?.tags[PENDING_TAGS.state]).not.toBe('prepared');
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
