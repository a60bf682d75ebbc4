import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { isRotatorError, type RotatorError } from '../../src/errors';
import { parseTargetPolicy, type TargetPolicy } from '../../src/policy';
import { pendingSecretName, rotateSecret, type RotationDeps } from '../../src/rotation';
import { createPostgresTarget, parseConnectionString } from '../../src/targets/postgres';
import { clientConfig } from '../../src/targets/postgres/pg-session';
import type { SecretStore } from '../../src/vault';
import { emulatorStore, startTestEmulator, type TestEmulator } from '../support/emulator';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { engineTestDeps } from '../support/engine-deps';

/** The machine's own server: it trusts every login on 127.0.0.1, so no verification there can fail. */
const TRUSTING = 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';

describe('postgres target: target policy, privileged roles, TLS by default, no cleartext, verdicts that can fail', () => {
  let pg: PostgresCluster;
  let cleartext: PostgresCluster;
  let emulator: TestEmulator;
  let store: SecretStore;
  let redis: Redis;
  const prefix = `test-pg-harden-${randomUUID()}`;
  const trustingRole = `rotator_trust_${randomUUID().slice(0, 8)}`;
  let policy: TargetPolicy;

  function deps(): RotationDeps {
    return engineTestDeps(
      {
        store,
        redis,
        prefix,
        target: (kind) =>
          kind === 'postgres' ? createPostgresTarget({ connectTimeoutMs: 3_000, policy }) : undefined,
      },
      {
        verifyAttempts: 1,
      },
    );
  }
  const request = (secretName: string) => ({
    secretName,
    reason: 'manual' as const,
    triggeredAt: DateTime.utc(),
  });

  async function managed(name: string, role: string, connection: string, initial = `Init-${randomUUID()}`) {
    await store.set(name, initial, {
      tags: { 'rotation-target': 'postgres', 'rotation-account': role, 'rotation-connection': connection },
    });
    return initial;
  }

  /** Rotates and expects a refusal that changed nothing: no new version, no pending record. */
  async function refused(name: string): Promise<RotatorError> {
    const error: unknown = await rotateSecret(request(name), deps()).catch((e: unknown) => e);
    if (!isRotatorError(error)) throw new Error(`expected a RotatorError, got ${String(error)}`);
    let versions = 0;
    for await (const _ of store.listVersions(name)) versions += 1;
    expect(versions).toBe(1);
    expect(await store.get(pendingSecretName(name))).toBeUndefined();
    return error;
  }

  async function role(cluster: PostgresCluster, name: string, password: string, extra = ''): Promise<void> {
    await cluster.createRole(name, password);
    if (extra !== '') await cluster.sql(extra);
  }

  beforeAll(async () => {
    [pg, cleartext, emulator] = await Promise.all([
      startPostgresCluster(),
      startPostgresCluster({ auth: 'password' }),
      startTestEmulator(),
    ]);
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    const vault = store.vaultUrl;
    await store.set('pg-admin', pg.adminUrl);
    await store.set('pg-admin-unlisted', pg.adminUrl);
    await store.set('pg-admin-nocert', pg.adminUrl.replace(/\?.*$/, ''));
    await store.set('pg-admin-disable', pg.adminUrl.replace(/\?.*$/, '?sslmode=disable'));
    await store.set('pg-admin-require', pg.adminUrl.replace(/\?.*$/, '?sslmode=require'));
    await store.set('pg-cleartext', cleartext.adminUrl);
    await store.set('pg-trusting', TRUSTING);
    await pg.sql('CREATE ROLE rotator_managed NOLOGIN');
    policy = parseTargetPolicy(
      JSON.stringify({
        version: 1,
        postgres: {
          servers: [
            {
              host: '127.0.0.1',
              port: pg.port,
              sslmodes: ['verify-full', 'require'],
              roles: ['named_app'],
              memberOf: ['rotator_managed'],
              connections: ['pg-admin', 'pg-admin-nocert', 'pg-admin-disable', 'pg-admin-require'].map(
                (secret) => ({
                  vault,
                  secret,
                }),
              ),
            },
            {
              host: '127.0.0.1',
              port: cleartext.port,
              roles: ['clear_app'],
              connections: [{ vault, secret: 'pg-cleartext' }],
            },
            {
              host: '127.0.0.1',
              port: 5432,
              sslmodes: ['disable'],
              roles: [trustingRole],
              connections: [{ vault, secret: 'pg-trusting' }],
            },
          ],
        },
      }),
      'test-policy.json',
    );
  });
  afterAll(async () => {
    const keys = await redis?.keys(`${prefix}:*`);
    if (keys !== undefined && keys.length > 0) await redis.del(...keys);
    await redis?.quit();
    const trusting = new Client({ connectionString: TRUSTING });
    await trusting.connect().then(
      () =>
        trusting
          .query(`DROP ROLE IF EXISTS ${trusting.escapeIdentifier(trustingRole)}`)
          .finally(() => trusting.end()),
      () => undefined,
    );
    await emulator?.close();
    await pg?.stop();
    await cleartext?.stop();
  });

  it('rotates a role the policy names, over verify-full TLS by default', async () => {
    await role(pg, 'named_app', 'Named-Initial-1');
    await managed('named', 'named_app', 'pg-admin', 'Named-Initial-1');
    expect((await rotateSecret(request('named'), deps())).outcome).toBe('rotated');
    expect(await pg.canLogin('named_app', (await store.get('named'))?.value ?? '')).toBe(true);
  });

  it('rotates a role by membership of a group role the policy names', async () => {
    await role(pg, 'member_app', 'Member-Initial-1', 'GRANT rotator_managed TO member_app');
    await managed('member', 'member_app', 'pg-admin', 'Member-Initial-1');
    expect((await rotateSecret(request('member'), deps())).outcome).toBe('rotated');
  });

  it('refuses, before any write, a tag naming a role outside the policy', async () => {
    await role(pg, 'outsider_app', 'Outsider-Initial-1');
    await managed('outsider', 'outsider_app', 'pg-admin', 'Outsider-Initial-1');
    const error = await refused('outsider');
    expect(error.code).toBe('SECRET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('outsider_app');
    expect(await pg.canLogin('outsider_app', 'Outsider-Initial-1')).toBe(true);
  });

  it('refuses, before any write, a connection secret the policy does not name, or one in another vault', async () => {
    await managed('unlisted-conn', 'named_app', 'pg-admin-unlisted');
    expect((await refused('unlisted-conn')).code).toBe('SECRET_MISCONFIGURED');
    await managed('other-vault', 'named_app', 'https://someone-elses.vault.azure.net/secrets/pg-admin');
    const error = await refused('other-vault');
    expect(error.code).toBe('SECRET_MISCONFIGURED');
    expect(error.message).toContain('someone-elses.vault.azure.net');
  });

  it('refuses every postgres secret when no policy is configured', async () => {
    await managed('no-policy', 'named_app', 'pg-admin');
    const saved = policy;
    policy = undefined as unknown as TargetPolicy;
    try {
      const error = await refused('no-policy');
      expect(error.code).toBe('SECRET_MISCONFIGURED');
      expect(error.hint).toContain('ROTATOR_TARGET_POLICY');
    } finally {
      policy = saved;
    }
  });

  it.each([['SUPERUSER'], ['CREATEROLE'], ['REPLICATION'], ['BYPASSRLS']])(
    'refuses, before any write, a role that gained %s between two rotations',
    async (attribute) => {
      const name = `gains_${attribute.toLowerCase()}`;
      await role(pg, name, 'Gains-Initial-1', `GRANT rotator_managed TO ${name}`);
      await managed(`gains-${attribute.toLowerCase()}`, name, 'pg-admin', 'Gains-Initial-1');
      expect((await rotateSecret(request(`gains-${attribute.toLowerCase()}`), deps())).outcome).toBe(
        'rotated',
      );
      const live = (await store.get(`gains-${attribute.toLowerCase()}`))?.value ?? '';
      await pg.sql(`ALTER ROLE ${name} ${attribute}`);
      const error: unknown = await rotateSecret(request(`gains-${attribute.toLowerCase()}`), deps()).catch(
        (e: unknown) => e,
      );
      expect(isRotatorError(error) && error.code).toBe('SECRET_MISCONFIGURED');
      expect(isRotatorError(error) && error.message).toContain(attribute);
      expect((await store.get(`gains-${attribute.toLowerCase()}`))?.value).toBe(live);
      expect(await pg.canLogin(name, live)).toBe(true);
    },
  );

  it('refuses a role that can become a superuser through membership', async () => {
    await pg.sql('CREATE ROLE powerful_group SUPERUSER NOLOGIN');
    await role(pg, 'sneaky_app', 'Sneaky-Initial-1', 'GRANT rotator_managed, powerful_group TO sneaky_app');
    await managed('sneaky', 'sneaky_app', 'pg-admin', 'Sneaky-Initial-1');
    const error = await refused('sneaky');
    expect(error.message).toContain('powerful_group');
  });

  it('checks the server certificate by default: a connection without the CA fails permanently, changing nothing', async () => {
    await role(pg, 'tls_app', 'Tls-Initial-1', 'GRANT rotator_managed TO tls_app');
    await managed('tls-nocert', 'tls_app', 'pg-admin-nocert', 'Tls-Initial-1');
    const error = await refused('tls-nocert');
    expect(error.code).toBe('TARGET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/certificate/);
    expect(await pg.canLogin('tls_app', 'Tls-Initial-1')).toBe(true);
  });

  it('refuses a weaker sslmode the policy does not allow for the server, and accepts one it allows', async () => {
    await managed('tls-disable', 'tls_app', 'pg-admin-disable', 'Tls-Initial-1');
    const error = await refused('tls-disable');
    expect(error.code).toBe('SECRET_MISCONFIGURED');
    expect(error.message).toContain('sslmode=disable');
    await managed('tls-require', 'tls_app', 'pg-admin-require', 'Tls-Initial-1');
    expect((await rotateSecret(request('tls-require'), deps())).outcome).toBe('rotated');
  });

  it('never answers a cleartext password request', async () => {
    await role(cleartext, 'clear_app', 'Clear-Initial-1');
    await managed('cleartext', 'clear_app', 'pg-cleartext', 'Clear-Initial-1');
    const error = await refused('cleartext');
    expect(error.code).toBe('TARGET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('cleartext');
  });

  it('asks for channel binding (SCRAM-SHA-256-PLUS) whenever the session uses TLS', () => {
    const timeouts = { connectTimeoutMs: 1, statementTimeoutMs: 1 };
    const login = { user: 'u', password: 'p' };
    const full = parseConnectionString('postgres://u@db.example/app');
    expect(clientConfig(full, login, timeouts)).toMatchObject({
      enableChannelBinding: true,
      ssl: { rejectUnauthorized: true },
    });
    const plain = parseConnectionString('postgres://u@db.example/app?sslmode=disable');
    expect(clientConfig(plain, login, timeouts)).toMatchObject({ enableChannelBinding: false, ssl: false });
  });

  it('stops with TARGET_CANNOT_VERIFY, changing nothing, against the trusting server on 127.0.0.1:5432', async () => {
    const trusting = new Client({ connectionString: TRUSTING });
    await trusting.connect();
    try {
      await trusting.query(
        `CREATE ROLE ${trusting.escapeIdentifier(trustingRole)} LOGIN PASSWORD 'Trust-Initial-1'`,
      );
      const hashOf = async (): Promise<unknown> =>
        (await trusting.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [trustingRole]))
          .rows[0];
      const before = await hashOf();
      await managed('trusting', trustingRole, 'pg-trusting', 'Trust-Initial-1');
      const error = await refused('trusting');
      expect(error.code).toBe('TARGET_CANNOT_VERIFY');
      expect(error.permanent).toBe(true);
      expect(await hashOf()).toEqual(before);
    } finally {
      await trusting.end();
    }
  });
});
