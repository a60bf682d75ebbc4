import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Clock } from '../../src/clock/clock';
import { isRotatorError } from '../../src/errors';
import {
  parseRetirement,
  retirePending,
  RETIREMENT_TAG,
  rotateSecret,
  type RotationDeps,
} from '../../src/rotation';
import type { TargetPolicy } from '../../src/policy';
import { createPostgresTarget } from '../../src/targets/postgres';
import type { SecretStore } from '../../src/vault';
import { startTestEmulator, type TestEmulator, emulatorStore } from '../support/emulator';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { engineTestDeps } from '../support/engine-deps';

const ADMIN_SECRET = 'pg-admin';
const later: Clock = { now: () => DateTime.utc().plus({ days: 3 }) };

class SimulatedCrash extends Error {}

describe('postgres overlap with two alternating logins (real scram-sha-256 PostgreSQL)', () => {
  let pg: PostgresCluster;
  let emulator: TestEmulator;
  let store: SecretStore;
  let redis: Redis;
  const prefix = `t-pg-overlap-${randomUUID().slice(0, 8)}`;
  /** The operator's policy: this cluster over TLS, roles in group rotator_managed. */
  const policy: TargetPolicy = { version: 1, postgres: { servers: [] } };
  const target = createPostgresTarget({ connectTimeoutMs: 2_000, policy });

  function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
    return engineTestDeps(
      { store, redis, prefix, target: (kind) => (kind === 'postgres' ? target : undefined) },
      overrides,
    );
  }
  const request = (secretName: string, reason: 'scheduled' | 'usage' | 'manual') => ({
    secretName,
    reason,
    triggeredAt: DateTime.utc(),
  });

  /** Two logins, the first holding the initial password, and the secret naming both. */
  async function alternating(
    name: string,
    overlap = 'PT1H',
  ): Promise<{ blue: string; green: string; initial: string }> {
    const base = name.replace(/-/g, '_');
    const [blue, green] = [`${base}_blue`, `${base}_green`];
    const initial = `Init-${randomUUID()}`;
    await pg.createRole(blue, initial);
    await pg.createRole(green, `Unused-${randomUUID()}`);
    await pg.sql(`GRANT rotator_managed TO ${blue}, ${green}`);
    await store.set(name, initial, {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': blue,
        'rotation-connection': ADMIN_SECRET,
        'rotation-logins': `${blue},${green}`,
        'rotation-login': blue,
        'rotation-overlap': overlap,
      },
    });
    return { blue, green, initial };
  }

  beforeAll(async () => {
    [pg, emulator] = await Promise.all([startPostgresCluster(), startTestEmulator()]);
    store = emulatorStore(emulator, 't');
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    await pg.sql('CREATE ROLE rotator_managed NOLOGIN');
    policy.postgres?.servers.push({
      host: '127.0.0.1',
      port: pg.port,
      sslmodes: ['verify-full'],
      roles: [],
      memberOf: ['rotator_managed'],
      connections: [{ vault: store.vaultUrl.toLowerCase(), secret: ADMIN_SECRET }],
    });
    await store.set(ADMIN_SECRET, pg.adminUrl);
  });
  afterAll(async () => {
    const keys = await redis?.keys(`${prefix}:*`);
    if (keys !== undefined && keys.length > 0) await redis.del(...keys);
    await redis?.quit();
    await emulator?.close();
    await pg?.stop();
  });

  it('a scheduled rotation sets the other login; the old login works through the overlap, then is refused and proven', async () => {
    const { blue, green, initial } = await alternating('orders-db');
    const result = await rotateSecret(request('orders-db', 'scheduled'), deps());
    expect(result.retirement?.state).toBe('pending');
    const current = await store.get('orders-db');
    expect(current?.tags['rotation-login']).toBe(green);
    expect(await pg.canLogin(green, current?.value ?? '')).toBe(true);
    expect(await pg.canLogin(blue, initial)).toBe(true);

    const retired = parseRetirement(current?.tags[RETIREMENT_TAG]);
    const done = await retirePending(
      { secretName: 'orders-db', retiredVersion: retired?.version ?? '' },
      deps({ clock: later }),
    );
    expect(done.retirement).toMatchObject({ state: 'proven' });
    expect(done.retirement?.check).toContain(`login as ${blue} refused`);
    expect(await pg.canLogin(blue, initial)).toBe(false);
    expect(await pg.canLogin(green, current?.value ?? '')).toBe(true);

    // The next rotation goes back to the first login.
    await rotateSecret(
      { ...request('orders-db', 'scheduled'), triggeredAt: DateTime.utc().plus({ seconds: 1 }) },
      deps(),
    );
    expect((await store.get('orders-db'))?.tags['rotation-login']).toBe(blue);
  });

  it('a checked-out password is refused right after the forced rotation, despite the overlap policy', async () => {
    const { blue, green, initial } = await alternating('billing-db');
    const result = await rotateSecret(request('billing-db', 'usage'), deps());
    expect(result.retirement).toMatchObject({ state: 'proven' });
    expect(await pg.canLogin(blue, initial)).toBe(false);
    const current = await store.get('billing-db');
    expect(current?.tags['rotation-login']).toBe(green);
    expect(await pg.canLogin(green, current?.value ?? '')).toBe(true);
  });

  it('a usage during the overlap kills the overlapping login and the used one', async () => {
    const { blue, green, initial } = await alternating('ledger-db');
    await rotateSecret(request('ledger-db', 'scheduled'), deps());
    const used = await store.get('ledger-db');
    expect(await pg.canLogin(blue, initial)).toBe(true);
    const forced = await rotateSecret(
      { ...request('ledger-db', 'usage'), triggeredAt: DateTime.utc().plus({ seconds: 1 }) },
      deps(),
    );
    expect(forced.overlapRetirement?.state).toBe('proven');
    expect(forced.retirement?.state).toBe('proven');
    expect(await pg.canLogin(green, used?.value ?? '')).toBe(false);
    const current = await store.get('ledger-db');
    // The overlapping login was retired first, then took the new password.
    expect(current?.tags['rotation-login']).toBe(blue);
    expect(await pg.canLogin(blue, initial)).toBe(false);
    expect(await pg.canLogin(blue, current?.value ?? '')).toBe(true);
  });

  it('a crash after the password changed is committed by the next run with its login recorded', async () => {
    const { green } = await alternating('crm-db');
    await expect(
      rotateSecret(
        request('crm-db', 'scheduled'),
        deps({
          onStep: (s) => {
            if (s === 'verified') throw new SimulatedCrash();
          },
        }),
      ),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    await rotateSecret(request('crm-db', 'scheduled'), deps());
    const current = await store.get('crm-db');
    expect(current?.tags['rotation-login']).toBe(green);
    expect(await pg.canLogin(green, current?.value ?? '')).toBe(true);
  });

  it('refuses an overlap on a one-role secret and bad rotation-logins, changing nothing', async () => {
    const role = `single_${randomUUID().slice(0, 6)}`;
    await pg.createRole(role, 'Init-single-1');
    await store.set('single-db', 'Init-single-1', {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': role,
        'rotation-connection': ADMIN_SECRET,
        'rotation-overlap': 'PT1H',
      },
    });
    const error: unknown = await rotateSecret(request('single-db', 'scheduled'), deps()).catch(
      (e: unknown) => e,
    );
    expect(isRotatorError(error) && error.code).toBe('SECRET_MISCONFIGURED');
    expect(isRotatorError(error) && error.message).toContain('one credential only');
    expect(await pg.canLogin(role, 'Init-single-1')).toBe(true);

    await store.set('bad-logins-db', 'x', {
      tags: {
        'rotation-target': 'postgres',
        'rotation-account': role,
        'rotation-connection': ADMIN_SECRET,
        'rotation-logins': `${role},${role}`,
      },
    });
    const bad: unknown = await rotateSecret(request('bad-logins-db', 'scheduled'), deps()).catch(
      (e: unknown) => e,
    );
    expect(isRotatorError(bad) && bad.code).toBe('TARGET_MISCONFIGURED');
    expect(isRotatorError(bad) && bad.message).toContain('rotation-logins');
    expect(await pg.canLogin(role, 'Init-single-1')).toBe(true);
  });
});
