import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { SecretStore } from '../../src/vault';
import { TAG } from '../../src/tags';

const ADMIN_SECRET = 'demo-postgres-admin';
const ACCOUNT_SECRET = 'svc-reporting-db';
const ROLE = 'rotator_demo_reporting';
/** The local PostgreSQL of a developer machine; the demo only adds a role when it answers. */
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** A developer's local server rarely has TLS; the demo's policy allows `disable` for it alone. */
const ADMIN_CONNECTION = `${ADMIN_URL}?sslmode=disable`;

/**
 * The demo's target policy: the one local role it seeds, through the one admin connection it
 * stores, on 127.0.0.1:5432 without TLS. Returns the file's path for ROTATOR_TARGET_POLICY.
 */
export function writeDemoPolicy(dir: string, vaultUrl: string): string {
  const file = join(dir, 'target-policy.yaml');
  const policy = [
    "# The demo's target policy (ROTATOR_TARGET_POLICY): what the daemon may touch outside Key Vault.",
    'version: 1',
    'postgres:',
    '  servers:',
    '    - host: 127.0.0.1',
    '      port: 5432',
    '      sslmodes: [disable]   # a developer server without TLS; production servers keep verify-full',
    `      roles: [${ROLE}]`,
    '      connections:',
    `        - vault: ${vaultUrl}`,
    `          secret: ${ADMIN_SECRET}`,
    '',
  ].join('\n');
  writeFileSync(file, policy);
  return file;
}

/** Whether the server lets the role in with a wrong password (pg_hba `trust`): then nothing can be verified. */
async function acceptsAnyPassword(): Promise<boolean> {
  const probe = new Client({
    connectionString: ADMIN_URL.replace('postgres@', `${ROLE}:wrong-${Date.now()}@`),
    connectionTimeoutMillis: 2_000,
  });
  try {
    await probe.connect();
    await probe.end();
    return true;
  } catch {
    return false;
  }
}

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
    // An older demo stored the connection without sslmode, which now means verify-full.
    if (
      (await store.get(ADMIN_SECRET))?.value !== ADMIN_CONNECTION &&
      (await store.get(ACCOUNT_SECRET)) !== undefined
    ) {
      await store.set(ADMIN_SECRET, ADMIN_CONNECTION, { tags: { purpose: 'admin connection for the demo' } });
    }
    if ((await store.get(ACCOUNT_SECRET)) !== undefined) return true;
    const initial = 'DemoInitial1';
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ROLE]);
    const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
    await client.query(
      `${verb} ROLE ${client.escapeIdentifier(ROLE)} LOGIN PASSWORD ${client.escapeLiteral(initial)}`,
    );
    await store.set(ADMIN_SECRET, ADMIN_CONNECTION, { tags: { purpose: 'admin connection for the demo' } });
    await store.set(ACCOUNT_SECRET, initial, {
      tags: { [TAG.target]: 'postgres', [TAG.account]: ROLE, [TAG.connection]: ADMIN_SECRET },
    });
    say(`seeded ${ACCOUNT_SECRET} (rotation-target=postgres, role ${ROLE})`);
    if (await acceptsAnyPassword()) {
      say(
        `PostgreSQL on 127.0.0.1 accepts any password for ${ROLE} (pg_hba trust), so no rotation of it could be verified: the daemon refuses it with TARGET_CANNOT_VERIFY, as \`rotator status\` shows`,
      );
    }
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
