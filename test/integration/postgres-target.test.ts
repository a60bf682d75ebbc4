import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { isRotatorError, type RotatorError } from '../../src/errors';
import { pendingSecretName, rotateSecret, type RotationDeps, type TargetContext } from '../../src/rotation';
import { createPostgresTarget, parseConnectionString } from '../../src/targets/postgres';
import type { TargetPolicy } from '../../src/policy';
import type { SecretStore } from '../../src/vault';
import { startTestEmulator, type TestEmulator, emulatorStore } from '../support/emulator';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { dumpRedis } from '../support/redis-scan';
import { engineTestDeps } from '../support/engine-deps';

const ADMIN_SECRET = 'pg-admin';

/** A port with nothing listening: bound, read, released. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1));
    });
  });
}

describe('postgres target against a real scram-sha-256 PostgreSQL, the emulator and a real Redis lock', () => {
  let pg: PostgresCluster;
  let emulator: TestEmulator;
  let store: SecretStore;
  let redis: Redis;
  const prefix = `test-pg-target-${randomUUID()}`;
  /** The operator's policy: this cluster (and the dead ports tests add), roles in group rotator_managed. */
  const policy: TargetPolicy = { version: 1, postgres: { servers: [] } };
  const connections = ['pg-admin', 'pg-missing', 'pg-garbage', 'pg-dead', 'pg-wrong-admin', 'pg-dead-verify'];
  function allowServer(port: number): void {
    policy.postgres?.servers.push({
      host: '127.0.0.1',
      port,
      sslmodes: ['verify-full'],
      roles: [],
      memberOf: ['rotator_managed'],
      connections: connections.map((secret) => ({ vault: store.vaultUrl.toLowerCase(), secret })),
    });
  }
  const target = createPostgresTarget({ connectTimeoutMs: 2_000, policy });
  /** Every password this file ever hands out or reads back, checked against errors, Redis and logs. */
  const seen = new Set<string>();
  /** Passwords the rotator set (never the test through CREATE ROLE): the server must never see them. */
  const applied = new Set<string>();
  const errors: RotatorError[] = [];

  const redisDump = (): Promise<string> => dumpRedis(redis, `${prefix}:*`);

  /** Redis is checked at every step boundary, while the lease and anything else of ours is there. */
  const redisSnapshots: string[] = [];

  function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
    return engineTestDeps(
      { store, redis, prefix, target: (kind) => (kind === 'postgres' ? target : undefined) },
      {
        onStep: async () => {
          redisSnapshots.push(await redisDump());
        },
        ...overrides,
      },
    );
  }

  const request = (secretName: string) => ({
    secretName,
    reason: 'manual' as const,
    triggeredAt: DateTime.utc(),
  });

  /** A role in PostgreSQL and the managed secret that holds its password in Key Vault. */
  async function managed(
    name: string,
    options: { role?: string; createRole?: boolean; tags?: Record<string, string> } = {},
  ): Promise<{ role: string; initial: string }> {
    const role = options.role ?? name.replace(/-/g, '_');
    const initial = `Init-${randomUUID()}`;
    seen.add(initial);
    if (options.createRole !== false) {
      await pg.createRole(role, initial);
      await pg.sql(`GRANT rotator_managed TO ${role}`);
    }
    await store.set(name, initial, {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': role,
        'rotation-connection': ADMIN_SECRET,
        ...options.tags,
      },
    });
    return { role, initial };
  }

  async function failure(name: string): Promise<RotatorError> {
    const error: unknown = await rotateSecret(request(name), deps()).catch((e: unknown) => e);
    if (!isRotatorError(error)) throw new Error(`expected a RotatorError, got ${String(error)}`);
    errors.push(error);
    return error;
  }

  async function versionCount(name: string): Promise<number> {
    let n = 0;
    for await (const _ of store.listVersions(name)) n += 1;
    return n;
  }

  function context(role: string, connection = ADMIN_SECRET): TargetContext {
    return {
      secretName: `direct-${role}`,
      vaultUrl: store.vaultUrl,
      tags: { 'rotation-account': role, 'rotation-connection': connection },
      rotationId: randomUUID(),
      readSibling: async (name) => (await store.get(name))?.value,
    };
  }

  beforeAll(async () => {
    [pg, emulator] = await Promise.all([startPostgresCluster(), startTestEmulator()]);
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    seen.add(pg.adminPassword);
    await pg.sql('CREATE ROLE rotator_managed NOLOGIN');
    allowServer(pg.port);
    await store.set(ADMIN_SECRET, pg.adminUrl);
  });
  afterAll(async () => {
    const keys = await redis?.keys(`${prefix}:*`);
    if (keys !== undefined && keys.length > 0) await redis.del(...keys);
    await redis?.quit();
    await emulator?.close();
    await pg?.stop();
  });

  it('rotates a role: the old password is refused, the new Key Vault version logs in and carries rotated-at, reason and id', async () => {
    const { role, initial } = await managed('app-user');
    const before = await store.get('app-user');
    const result = await rotateSecret(request('app-user'), deps());
    const now = await store.get('app-user');
    if (now === undefined || before === undefined) throw new Error('secret vanished');
    seen.add(now.value);
    applied.add(now.value);

    expect(result.outcome).toBe('rotated');
    expect(now.value).not.toBe(initial);
    expect(now.value).toHaveLength(32);
    expect(await pg.canLogin(role, now.value)).toBe(true);
    expect(await pg.canLogin(role, initial)).toBe(false);
    expect(now.tags).toMatchObject({
      'rotation-target': 'postgres',
      'rotation-account': role,
      'rotation-connection': ADMIN_SECRET,
      'rotation-reason': 'manual',
      'rotation-id': result.rotationId,
    });
    expect(DateTime.fromISO(now.tags['rotated-at'] ?? '').isValid).toBe(true);
    expect(await versionCount('app-user')).toBe(2);
    const pending = await store.get(pendingSecretName('app-user'));
    expect(pending?.tags).toMatchObject({
      'rotation-state': 'committed',
      'rotation-pending-for': 'app-user',
    });
  });

  it('rotates twice in a row, each time leaving exactly the newest password working', async () => {
    const { role } = await managed('twice');
    await rotateSecret(request('twice'), deps());
    const first = (await store.get('twice'))?.value ?? '';
    await rotateSecret(request('twice'), deps());
    const second = (await store.get('twice'))?.value ?? '';
    seen.add(first).add(second);
    applied.add(first).add(second);
    expect(second).not.toBe(first);
    expect(await pg.canLogin(role, second)).toBe(true);
    expect(await pg.canLogin(role, first)).toBe(false);
  });

  it('applies idempotently: the same value applied twice still logs in', async () => {
    await pg.createRole('idem_user', `Init-${randomUUID()}`);
    await pg.sql('GRANT rotator_managed TO idem_user');
    const value = `Same-${randomUUID()}`;
    seen.add(value);
    applied.add(value);
    await target.apply(context('idem_user'), value);
    await target.apply(context('idem_user'), value);
    expect(await target.verify(context('idem_user'), value)).toEqual({ accepted: true });
  });

  it('verify reports a refused password with the endpoint it checked, host:port/db', async () => {
    await pg.createRole('verify_user', 'Right-Passw0rd-verify');
    seen.add('Right-Passw0rd-verify');
    expect(await target.verify(context('verify_user'), 'Right-Passw0rd-verify')).toEqual({ accepted: true });
    expect(await target.verify(context('verify_user'), 'Wrong-Passw0rd-verify')).toEqual({
      accepted: false,
      reason: 'password authentication failed (28P01)',
      endpoint: `127.0.0.1:${pg.port}/postgres`,
    });
  });

  it('fails permanently, changing nothing, when the rotation-connection tag is missing', async () => {
    const { role, initial } = await managed('no-conn-tag', { tags: { 'rotation-connection': '' } });
    const error = await failure('no-conn-tag');
    expect(error.code).toBe('SECRET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('rotation-connection');
    expect(await versionCount('no-conn-tag')).toBe(1);
    expect(await pg.canLogin(role, initial)).toBe(true);
  });

  it('fails permanently, changing nothing, when the connection secret does not exist, and rotates once it does', async () => {
    const { role, initial } = await managed('no-conn-secret', {
      tags: { 'rotation-connection': 'pg-missing' },
    });
    const error = await failure('no-conn-secret');
    expect(error.code).toBe('TARGET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('pg-missing');
    expect(error.hint).toContain('pg-missing');
    expect(await versionCount('no-conn-secret')).toBe(1);
    expect(await pg.canLogin(role, initial)).toBe(true);
    // The precheck failed before the write-ahead record: nothing was written to Key Vault either.
    expect(await store.get(pendingSecretName('no-conn-secret'))).toBeUndefined();

    // The operator creates the secret: the next run rotates, with nothing to recover.
    await store.set('pg-missing', pg.adminUrl);
    const fixed = await rotateSecret(request('no-conn-secret'), deps());
    const now = (await store.get('no-conn-secret'))?.value ?? '';
    seen.add(now);
    applied.add(now);
    expect(fixed.outcome).toBe('rotated');
    expect(fixed.recovery).toBeUndefined();
    expect(await pg.canLogin(role, now)).toBe(true);
    expect(await pg.canLogin(role, initial)).toBe(false);
  });

  it('fails permanently without quoting it when the connection string cannot be parsed', async () => {
    const garbage = 'host=127.0.0.1 password=Leaky-Secret-123 port=notaport user=postgres';
    seen.add('Leaky-Secret-123');
    await store.set('pg-garbage', garbage);
    const { role, initial } = await managed('bad-conn', { tags: { 'rotation-connection': 'pg-garbage' } });
    const error = await failure('bad-conn');
    expect(error.code).toBe('TARGET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('pg-garbage');
    expect(await versionCount('bad-conn')).toBe(1);
    expect(await pg.canLogin(role, initial)).toBe(true);
  });

  it('fails permanently, changing nothing, when the role does not exist', async () => {
    await managed('ghost', { role: 'ghost_role', createRole: false });
    const error = await failure('ghost');
    expect(error.code).toBe('TARGET_MISCONFIGURED');
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('ghost_role');
    expect(await versionCount('ghost')).toBe(1);
  });

  it('fails as TARGET_UNREACHABLE, retryable and changing nothing, when the admin server does not answer', async () => {
    const port = await deadPort();
    allowServer(port);
    await store.set(
      'pg-dead',
      `postgres://postgres:${encodeURIComponent(pg.adminPassword)}@127.0.0.1:${port}/postgres`,
    );
    const { role, initial } = await managed('unreachable', { tags: { 'rotation-connection': 'pg-dead' } });
    const error = await failure('unreachable');
    expect(error.code).toBe('TARGET_UNREACHABLE');
    expect(error.permanent).toBe(false);
    expect(error.message).toContain(`127.0.0.1:${port}/postgres`);
    expect(await versionCount('unreachable')).toBe(1);
    expect(await pg.canLogin(role, initial)).toBe(true);
  });

  it('fails as TARGET_REJECTED with a hint naming the connection secret when the admin password is wrong', async () => {
    await store.set(
      'pg-wrong-admin',
      `postgres://postgres:Wrong-Admin-Pw1@127.0.0.1:${pg.port}/postgres?sslrootcert=${encodeURIComponent(pg.caFile)}`,
    );
    seen.add('Wrong-Admin-Pw1');
    const { role, initial } = await managed('wrong-admin', {
      tags: { 'rotation-connection': 'pg-wrong-admin' },
    });
    const error = await failure('wrong-admin');
    expect(error.code).toBe('TARGET_REJECTED');
    expect(error.hint).toContain('pg-wrong-admin');
    expect(await versionCount('wrong-admin')).toBe(1);
    expect(await pg.canLogin(role, initial)).toBe(true);
  });

  it('refuses to rotate the admin role of its own connection string', async () => {
    await store.set('self-admin', pg.adminPassword, {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': 'postgres',
        'rotation-connection': ADMIN_SECRET,
      },
    });
    const error = await failure('self-admin');
    expect(error.code).toBe('TARGET_MISCONFIGURED');
    expect(await pg.canLogin('postgres', pg.adminPassword)).toBe(true);
  });

  it('verify throws TARGET_UNREACHABLE, not a refusal, when the server does not answer', async () => {
    const port = await deadPort();
    allowServer(port);
    await store.set('pg-dead-verify', `host=127.0.0.1 port=${port} user=postgres dbname=postgres`);
    const error: unknown = await target
      .verify(context('anyone', 'pg-dead-verify'), 'Some-Passw0rd-x')
      .catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_UNREACHABLE');
  });

  it('reads both libpq forms of a connection string, percent-decoding URLs and honouring sslmode', () => {
    expect(
      parseConnectionString('postgresql://adm%40x:p%2Fw@db.example:6432/app?sslmode=verify-full'),
    ).toEqual({
      host: 'db.example',
      port: 6432,
      database: 'app',
      user: 'adm@x',
      password: 'p/w',
      sslmode: 'verify-full',
      sslrootcert: undefined,
    });
    expect(parseConnectionString("host=h user=u password='a b\\'c' sslmode=require")).toEqual({
      host: 'h',
      port: 5432,
      database: 'u',
      user: 'u',
      password: "a b'c",
      sslmode: 'require',
      sslrootcert: undefined,
    });
    expect(() => parseConnectionString('user=u password=Hidden-Pw1 dbname=db')).toThrow(
      /^[^H]*no host[^H]*$/,
    );
    expect(() => parseConnectionString('postgres://u:Hidden-Pw1@[bad/db')).toThrow(/^[^H]*not a valid[^H]*$/);
  });

  it('never lets a password reach an error message, Redis or the PostgreSQL server log', async () => {
    const text = [
      ...errors.map((e) => `${e.message} ${e.hint} ${e.stack ?? ''}`),
      ...redisSnapshots,
      await redisDump(),
    ].join('\n');
    expect(errors.length).toBeGreaterThan(0);
    expect(redisSnapshots.some((s) => s.includes('rotator-lock'))).toBe(true);
    for (const value of seen) expect(text).not.toContain(value);
    // The server logs every statement here; the rotator sends SCRAM verifiers, never passwords.
    const log = pg.serverLog();
    expect(log).toContain('ALTER ROLE');
    expect(applied.size).toBeGreaterThan(2);
    for (const value of [...applied, pg.adminPassword]) expect(log).not.toContain(value);
  });
});
