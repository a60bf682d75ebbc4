import { Client } from 'pg';
import type { SecretStore } from '../../src/vault';
import { TAG } from '../../src/tags';

const ADMIN_SECRET = 'demo-postgres-admin';
const ACCOUNT_SECRET = 'svc-reporting-db';
const ROLE = 'rotator_demo_reporting';
/** The local PostgreSQL of a developer machine; the demo only adds a role when it answers. */
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Adds a PostgreSQL-managed account when PostgreSQL answers on localhost as `postgres`, so the demo
 * shows a rotation into a real system and not only into Key Vault.
 */
export async function seedPostgresAccount(store: SecretStore, say: (line: string) => void): Promise<boolean> {
  const client = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } catch {
    say(
      'PostgreSQL does not answer on 127.0.0.1:5432 as postgres; the demo runs with Key Vault-only accounts',
    );
    return false;
  }
  try {
    if ((await store.get(ACCOUNT_SECRET)) !== undefined) return true;
    const initial = 'DemoInitial1';
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ROLE]);
    const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
    await client.query(
      `${verb} ROLE ${client.escapeIdentifier(ROLE)} LOGIN PASSWORD ${client.escapeLiteral(initial)}`,
    );
    await store.set(ADMIN_SECRET, ADMIN_URL, { tags: { purpose: 'admin connection for the demo' } });
    await store.set(ACCOUNT_SECRET, initial, {
      tags: { [TAG.target]: 'postgres', [TAG.account]: ROLE, [TAG.connection]: ADMIN_SECRET },
    });
    say(`seeded ${ACCOUNT_SECRET} (rotation-target=postgres, role ${ROLE})`);
    return true;
  } catch (error) {
    say(
      `could not prepare the PostgreSQL account (${error instanceof Error ? error.message : 'unknown error'}); continuing without it`,
    );
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
