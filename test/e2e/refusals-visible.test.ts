import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { SecretStore } from '../../src/vault';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, vaultEnv, type TestEmulator } from '../support/emulator';
import { writePolicyFile } from '../support/target-policy';
import { deleteKeys } from '../support/redis-scan';

/** DB 3 is this test's own; keys carry a random prefix and are deleted afterwards. */
const REDIS_URL = 'redis://127.0.0.1:6379/3';
const TRUSTING = 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';

describe('refusals are permanent and visible in rotator status (daemon process, emulated Key Vault)', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  const prefix = `t-refusals-${randomUUID().slice(0, 8)}`;
  const role = `rotator_refusal_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    const pg = new Client({ connectionString: TRUSTING });
    await pg.connect();
    await pg.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN PASSWORD 'Refusal-Initial-1'`);
    await pg.end();
  });
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
    const pg = new Client({ connectionString: TRUSTING });
    await pg.connect();
    await pg.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    await pg.end();
    await emulator?.close();
  });

  it('shows SECRET_MISCONFIGURED for an account outside the policy and TARGET_CANNOT_VERIFY for a trusting server', async () => {
    await store.set('pg-trusting-admin', TRUSTING);
    await store.set('svc-outside', 'Outside-Initial-1', {
      tags: { 'rotation-target': 'entra-user', 'rotation-account': 'admin@contoso.example' },
    });
    await store.set('svc-trusting', 'Refusal-Initial-1', {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': role,
        'rotation-connection': 'pg-trusting-admin',
      },
    });
    const policy = writePolicyFile({
      version: 1,
      postgres: {
        servers: [
          {
            host: '127.0.0.1',
            port: 5432,
            sslmodes: ['disable'],
            roles: [role],
            memberOf: [],
            connections: [{ vault: emulator.url.toLowerCase(), secret: 'pg-trusting-admin' }],
          },
        ],
      },
    });
    const env = {
      ...vaultEnv(emulator),
      REDIS_URL,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_SWEEP_INTERVAL: 'PT1H',
      ROTATOR_TARGET_POLICY: policy,
    };
    const daemon = await startDaemonProcess(env, await freePort());
    try {
      const rotate = await runRotator(
        ['rotate', 'svc-outside', 'svc-trusting', '--wait', '--output', 'json'],
        env,
      );
      expect(rotate.code).toBe(1);
      const status = await runRotator(['status', 'svc-outside', 'svc-trusting', '--output', 'json'], env);
      const rows = (JSON.parse(status.stdout) as { secrets: Array<Record<string, unknown>> }).secrets;
      const bySecret = Object.fromEntries(rows.map((r) => [String(r.secret), r]));
      expect(bySecret['svc-outside']).toMatchObject({ lastOutcome: 'failed', failing: true });
      expect(String(bySecret['svc-outside']?.lastError)).toMatch(/^SECRET_MISCONFIGURED: /);
      expect(bySecret['svc-trusting']).toMatchObject({ lastOutcome: 'failed', failing: true });
      expect(String(bySecret['svc-trusting']?.lastError)).toMatch(/^TARGET_CANNOT_VERIFY: /);
      // Refused before any change: no new version, no pending record.
      expect((await store.get('svc-trusting'))?.value).toBe('Refusal-Initial-1');
      expect((await store.get('svc-outside'))?.value).toBe('Outside-Initial-1');
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});
