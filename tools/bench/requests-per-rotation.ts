import { Client } from 'pg';
import type { TargetPolicy } from '../../src/policy';
import type { RotationTarget } from '../../src/rotation';
import { createPostgresTarget } from '../../src/targets/postgres';
import { FakeDirectory } from './fake-entra';
import { queueManualRotations, seedKeyVaultSecrets, startRig, type Rig } from './rig';
import { requestCount, round } from './stats';
import { rotatedAndFollowedUp } from './steady-state';
import { TAG } from '../../src/tags';

export interface RequestsPerRotation {
  target: string;
  rotations: number;
  /** Emulator requests by operation, over all rotations. */
  byOperation: Record<string, number>;
  perRotation: number;
}

/** Keyvault secrets rotated once by the rotator and that rotation's follow-up done: the steady state. */
export const KEYVAULT_ROTATED_BEFORE = 'keyvault, rotated before';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The local server has no TLS; the bench's policy allows `disable` for it alone. */
const ADMIN_CONNECTION = `${ADMIN_URL}?sslmode=disable`;

/**
 * The postgres target the bench measures, allowed by a policy naming the local server, its admin
 * connection and the bench's roles. The local server trusts every login, so it cannot refuse the
 * engine's wrong-credential probe (it would stop every rotation with TARGET_CANNOT_VERIFY); the bench
 * counts Key Vault requests, which the probe does not make, so here a refusal stands in for it.
 */
function benchPostgresTarget(vaultUrl: string, roles: readonly string[]): RotationTarget {
  const policy: TargetPolicy = {
    version: 1,
    postgres: {
      servers: [
        {
          host: '127.0.0.1',
          port: 5432,
          sslmodes: ['disable'],
          roles: [...roles],
          memberOf: [],
          connections: [{ vault: vaultUrl.toLowerCase(), secret: 'bench-pg-admin' }],
        },
      ],
    },
  };
  const target = createPostgresTarget({ policy });
  return {
    ...target,
    verifyOnce: () =>
      Promise.resolve({
        accepted: false,
        reason: 'stand-in for the trusting local server',
        endpoint: 'bench',
      }),
  };
}

async function measure(rig: Rig, target: string, names: string[]): Promise<RequestsPerRotation> {
  await rig.admin.resetCounters();
  const before = (await rig.rotations.getJobCounts('completed', 'failed')) as Record<string, number>;
  await queueManualRotations(rig, names);
  const done = await rig.waitForRotations((before.completed ?? 0) + (before.failed ?? 0) + names.length);
  if (done.failed > 0) throw new Error(`${done.failed} ${target} rotations failed during the bench`);
  const byOperation = await rig.admin.counters();
  return {
    target,
    rotations: names.length,
    byOperation,
    perRotation: round(requestCount(byOperation) / names.length, 2),
  };
}

/** PostgreSQL roles the bench rotates; dropped afterwards. Undefined when PostgreSQL does not answer. */
async function postgresRoles(count: number): Promise<{ roles: string[]; drop(): Promise<void> } | undefined> {
  const client = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  const roles = Array.from({ length: count }, (_, i) => `rotator_bench_${process.pid}_${i}`);
  for (const role of roles)
    await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD 'BenchInitial1'`);
  return {
    roles,
    drop: async () => {
      for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`);
      await client.end();
    },
  };
}

/** Secrets of an Entra target over the fake directory: `count` applications or users. */
async function seedEntra(
  rig: Rig,
  directory: FakeDirectory,
  target: 'entra-app' | 'entra-user',
  count: number,
): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const account = target === 'entra-app' ? `app-object-${i}` : `bench-user-${i}@bench.invalid`;
    if (target === 'entra-app') directory.addApp(account);
    else directory.addUser(account, 'BenchInitial1!');
    const name = `${target}-${i}`;
    await rig.store.set(name, 'BenchInitial1!', {
      tags: { [TAG.target]: target, [TAG.account]: account },
    });
    names.push(name);
  }
  return names;
}

/** Key Vault requests each rotation costs, by target, from the emulator's own counters. */
export async function requestsPerRotation(opts: {
  redisDb: number;
  rotations: number;
}): Promise<RequestsPerRotation[]> {
  const directory = new FakeDirectory();
  const rig = await startRig({
    redisDb: opts.redisDb,
    env: { ROTATOR_WORKER_CONCURRENCY: '4' },
    targets: (registry) =>
      directory.targets((kind) =>
        kind === 'postgres' ? benchPostgresTarget(rig.store.vaultUrl, pg?.roles ?? []) : registry(kind),
      ),
  });
  const external = Math.max(5, Math.floor(opts.rotations / 4));
  const pg = await postgresRoles(external);
  try {
    const kv = await seedKeyVaultSecrets(rig.store, 'kv', opts.rotations);
    const kvBefore = await seedKeyVaultSecrets(rig.store, 'kv-before', opts.rotations);
    await rotatedAndFollowedUp(rig, kvBefore, 8);
    const pgNames: string[] = [];
    if (pg !== undefined) {
      await rig.store.set('bench-pg-admin', ADMIN_CONNECTION);
      for (const role of pg.roles) {
        const name = `pg-${role.replaceAll('_', '-')}`;
        await rig.store.set(name, 'BenchInitial1', {
          tags: {
            [TAG.target]: 'postgres',
            [TAG.account]: role,
            [TAG.connection]: 'bench-pg-admin',
          },
        });
        pgNames.push(name);
      }
    }
    const apps = await seedEntra(rig, directory, 'entra-app', external);
    const users = await seedEntra(rig, directory, 'entra-user', external);
    await rig.startDaemon();
    const results = [
      await measure(rig, 'keyvault', kv),
      await measure(rig, KEYVAULT_ROTATED_BEFORE, kvBefore),
    ];
    if (pgNames.length > 0) results.push(await measure(rig, 'postgres', pgNames));
    results.push(await measure(rig, 'entra-app', apps));
    results.push(await measure(rig, 'entra-user', users));
    return results;
  } finally {
    await rig.close();
    await pg?.drop();
  }
}
