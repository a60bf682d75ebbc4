import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deletePrefix } from '../support/redis-scan';
import { parseRetirement, RETIREMENT_TAG } from '../../src/rotation';
import { createEntraAppTarget } from '../../src/targets/entra-app';
import { GraphClient } from '../../src/targets/graph/graph-client';
import type { SecretStore } from '../../src/vault';
import { staticTokenCredential } from '../../src/vault/client-options';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { writePolicyFile } from '../support/target-policy';
import { startTestEmulator, type TestEmulator, emulatorStore, vaultEnv } from '../support/emulator';
import { FakeEntra } from '../support/fake-entra';
import { waitFor } from '../support/wait';

const TENANT = '11111111-2222-3333-4444-555555555555';
/** The DB this helper's tests may use whole (see HELPERS.md); keys are also under a fresh prefix. */
const REDIS_DB = 5;

describe('entra-app with a daemon process: a scheduled rotation’s overlap, then retirement', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let fake: FakeEntra;
  let caDir: string;
  const prefix = `t-entra-e2e-${randomUUID().slice(0, 8)}`;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;

  beforeAll(async () => {
    [emulator, fake] = await Promise.all([startTestEmulator(), FakeEntra.start()]);
    store = emulatorStore(emulator);
    caDir = mkdtempSync(join(tmpdir(), 'rotator-fake-entra-'));
    writeFileSync(join(caDir, 'ca.pem'), fake.caPem);
  });
  afterAll(async () => {
    await deletePrefix(redisUrl, prefix);
    await emulator?.close();
    await fake?.stop();
    rmSync(caDir, { recursive: true, force: true });
  });

  it('a consumer holding the old client secret keeps working through the overlap and fails after it', async () => {
    const app = fake.addApp();
    const initial = fake.addPasswordDirectly(app.id, 'rotator:seed');
    await store.set('orders-app', initial.secretText, {
      tags: {
        'rotation-target': 'entra-app',
        'rotation-account': app.id,
        'rotation-key-id': initial.keyId,
        // Due one minute after creation; the old secret overlaps 20 s.
        'rotation-interval': 'PT1M',
        'rotation-overlap': 'PT20S',
      },
    });
    // The consumer: signs in with the secret it read, as any client-credentials app does.
    const consumer = createEntraAppTarget({
      graph: new GraphClient({
        baseUrl: fake.graphUrl,
        credential: staticTokenCredential('t'),
        fetch: fake.fetch(),
      }),
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      verifyWindowMs: 0,
      credentialOptions: fake.credentialOptions(),
    });
    const ctx = {
      secretName: 'orders-app',
      vaultUrl: emulator.url,
      tags: { 'rotation-account': app.id },
      rotationId: 'consumer',
      readSibling: () => Promise.resolve(undefined),
    };
    const works = async (secret: string): Promise<boolean> => (await consumer.verify(ctx, secret)).accepted;
    expect(await works(initial.secretText)).toBe(true);

    const daemon = await startDaemonProcess(
      {
        ...vaultEnv(emulator),
        REDIS_URL: redisUrl,
        ROTATOR_QUEUE_PREFIX: prefix,
        ROTATOR_SWEEP_INTERVAL: 'PT2S',
        ROTATOR_GRAPH_URL: fake.graphUrl,
        ROTATOR_GRAPH_TOKEN: 'graph-token',
        ROTATOR_AUTHORITY_HOST: fake.authorityHost,
        AZURE_TENANT_ID: TENANT,
        // The operator's policy names the one application the daemon may rotate.
        ROTATOR_TARGET_POLICY: writePolicyFile({
          version: 1,
          'entra-app': { applications: [app.id.toLowerCase()] },
        }),
        NODE_EXTRA_CA_CERTS: join(caDir, 'ca.pem'),
      },
      await freePort(),
    );
    try {
      const rotated = await waitFor(
        'the scheduled rotation',
        async () => {
          const current = await store.get('orders-app');
          return current?.tags['rotation-reason'] === 'scheduled' ? current : undefined;
        },
        120_000,
      );
      const rotatedAt = Date.now();
      expect(parseRetirement(rotated.tags[RETIREMENT_TAG])?.state).toBe('pending');
      // Inside the overlap: the consumer that has not reloaded still works, and so does the new secret.
      expect(await works(initial.secretText)).toBe(true);
      expect(await works(rotated.value)).toBe(true);
      expect(app.passwordCredentials).toHaveLength(2);

      await waitFor(
        'the old secret to stop working',
        async () => ((await works(initial.secretText)) ? undefined : true),
        90_000,
      );
      expect(Date.now() - rotatedAt).toBeGreaterThan(15_000);
      expect(await works(rotated.value)).toBe(true);
      const proven = await waitFor(
        'the proof on the current version',
        async () => {
          const record = parseRetirement((await store.get('orders-app'))?.tags[RETIREMENT_TAG]);
          return record?.state === 'proven' ? record : undefined;
        },
        30_000,
      );
      expect(proven.version).not.toBe(rotated.version);
      // Every Graph request the daemon made was one Graph v1.0 accepts.
      const graphCalls = fake.calls.filter((c) => c.path.startsWith('/v1.0/'));
      expect(graphCalls.length).toBeGreaterThan(2);
      expect(fake.calls.filter((c) => c.refused !== undefined)).toEqual([]);
    } finally {
      expect(await daemon.stop('SIGTERM')).toBe(0);
    }
  }, 300_000);
});
