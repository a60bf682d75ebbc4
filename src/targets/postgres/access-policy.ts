import type { Client } from 'pg';
import { POLICY_HINT, refusedByPolicy, type PostgresServerPolicy, type TargetPolicy } from '../../policy';
import { describeReference, type SecretReference } from '../../vault/secret-reference';
import { describeEndpoint, type PgEndpoint } from './connection-string';

/** Role attributes that make a role too powerful to hand to a workload, whatever the policy says. */
const PRIVILEGED = ['rolsuper', 'rolcreaterole', 'rolreplication', 'rolbypassrls'] as const;
const ATTRIBUTE: Record<(typeof PRIVILEGED)[number], string> = {
  rolsuper: 'SUPERUSER',
  rolcreaterole: 'CREATEROLE',
  rolreplication: 'REPLICATION',
  rolbypassrls: 'BYPASSRLS',
};

/** The servers for which the policy allows this secret as admin connection; refuses when none. */
export function serversForConnection(
  policy: TargetPolicy | undefined,
  secretName: string,
  ref: SecretReference,
): PostgresServerPolicy[] {
  if (policy === undefined) {
    throw refusedByPolicy(
      secretName,
      'no target policy is configured, so postgres targets are refused',
      `set ROTATOR_TARGET_POLICY to a policy that names the server, the role and ${describeReference(ref)}`,
    );
  }
  const servers = (policy.postgres?.servers ?? []).filter((server) =>
    server.connections.some(
      (c) => c.vault === ref.vaultUrl && c.secret.toLowerCase() === ref.name.toLowerCase(),
    ),
  );
  if (servers.length === 0) {
    throw refusedByPolicy(
      secretName,
      `connection secret ${describeReference(ref)} is not an admin connection the target policy names`,
      `name it under a server's connections in the policy, or point rotation-connection at one it names; ${POLICY_HINT}`,
    );
  }
  return servers;
}

/** The policy's entry for the server the connection string points at, with its TLS mode allowed. */
export function serverFor(
  servers: readonly PostgresServerPolicy[],
  endpoint: PgEndpoint,
  secretName: string,
  ref: SecretReference,
): PostgresServerPolicy {
  const server = servers.find((s) => s.host === endpoint.host.toLowerCase() && s.port === endpoint.port);
  const where = describeEndpoint(endpoint);
  if (server === undefined) {
    throw refusedByPolicy(
      secretName,
      `connection secret ${describeReference(ref)} points at ${where}, a server the policy does not allow it for`,
      POLICY_HINT,
    );
  }
  if (!server.sslmodes.includes(endpoint.sslmode)) {
    throw refusedByPolicy(
      secretName,
      `connection secret ${describeReference(ref)} uses sslmode=${endpoint.sslmode}, which the policy does not allow for ${where} (allowed: ${server.sslmodes.join(', ')})`,
      'use sslmode=verify-full (the default) with the server CA in sslrootcert, or allow the weaker mode for this server in the policy',
    );
  }
  return server;
}

/**
 * Checked in the admin session before any change, on every rotation: the role exists, the policy
 * names it (or a group role it belongs to), and neither it nor any role it can become is a
 * superuser or holds CREATEROLE, REPLICATION or BYPASSRLS — a role can gain those between rotations.
 */
export async function checkRole(
  client: Client,
  role: string,
  server: PostgresServerPolicy,
  secretName: string,
  where: string,
): Promise<'ok' | 'missing'> {
  const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if ((found.rowCount ?? 0) === 0) return 'missing';
  if (!server.roles.includes(role)) {
    const member = await client.query(
      `SELECT 1 FROM pg_roles g WHERE g.rolname = ANY($2::text[]) AND pg_has_role($1, g.oid, 'MEMBER')`,
      [role, server.memberOf],
    );
    if ((member.rowCount ?? 0) === 0) {
      throw refusedByPolicy(
        secretName,
        `role ${role} at ${where} is neither named by the target policy nor a member of ${server.memberOf.length === 0 ? 'a group role it names' : server.memberOf.join(', ')}`,
        `add the role (or GRANT a group role the policy names to it); ${POLICY_HINT}`,
      );
    }
  }
  const powerful = await client.query<Record<(typeof PRIVILEGED)[number], boolean> & { rolname: string }>(
    `SELECT r.rolname, ${PRIVILEGED.map((a) => `r.${a}`).join(', ')} FROM pg_roles r
      WHERE pg_has_role($1, r.oid, 'MEMBER') AND (${PRIVILEGED.map((a) => `r.${a}`).join(' OR ')})
      ORDER BY r.rolname = $1 DESC, r.rolname`,
    [role],
  );
  const first = powerful.rows[0];
  if (first !== undefined) {
    const attributes = PRIVILEGED.filter((a) => first[a]).map((a) => ATTRIBUTE[a]);
    const through = first.rolname === role ? '' : ` through membership in ${first.rolname}`;
    throw refusedByPolicy(
      secretName,
      `role ${role} at ${where} has ${attributes.join(', ')}${through}; the rotator never rotates such roles`,
      'rotate only ordinary login roles: remove the attribute (or the membership), or stop managing this secret',
    );
  }
  return 'ok';
}
