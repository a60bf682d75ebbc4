import { RotatorError } from '../../errors';
import type { AppliedCredential, RotationTarget, TargetContext, VerifyOutcome } from '../../rotation';
import { TAG } from '../../tags';
import { requiredTag } from '../target-tags';
import {
  ConnectionStringError,
  describeEndpoint,
  parseConnectionString,
  type PgEndpoint,
} from './connection-string';
import type { PostgresServerPolicy, TargetPolicy } from '../../policy';
import {
  describeReference,
  parseSecretReference,
  SecretReferenceError,
  type SecretReference,
} from '../../vault/secret-reference';
import { checkRole, serverFor, serversForConnection } from './access-policy';
import { adminError, isTransient, pgFailure, securityError, SQLSTATE, summarize } from './pg-errors';
import { withSession, type SessionTimeouts } from './pg-session';
import { POSTGRES_POLICY } from './policy';
import { scramSha256Verifier } from './scram-verifier';

interface PostgresTargetOptions {
  /** Bounds each connection attempt (admin and verification); 10 s by default. */
  connectTimeoutMs?: number;
  /** Bounds each statement, server- and client-side; 15 s by default. */
  statementTimeoutMs?: number;
  /** The operator's target policy; without one every postgres secret is refused. */
  policy?: TargetPolicy;
}

/** What each step needs besides the context: its timeouts and the operator's policy. */
interface Setup {
  timeouts: SessionTimeouts;
  policy: TargetPolicy | undefined;
}

interface Admin {
  endpoint: PgEndpoint;
  /** The secret holding the connection string: named in hints, never its value. */
  secretName: string;
  /** The policy's entry for the server the connection points at. */
  server: PostgresServerPolicy;
}

function misconfigured(message: string, hint: string): RotatorError {
  return new RotatorError('TARGET_MISCONFIGURED', message, { hint, permanent: true });
}

function roleOf(ctx: TargetContext): string {
  return requiredTag(ctx, TAG.account, `set ${TAG.account} to the role`);
}

function referenceOf(ctx: TargetContext): SecretReference {
  const tag = requiredTag(
    ctx,
    TAG.connection,
    `set ${TAG.connection} to the name of the secret holding the admin connection string`,
  );
  try {
    return parseSecretReference(tag, ctx.vaultUrl);
  } catch (error) {
    if (!(error instanceof SecretReferenceError)) throw error;
    throw misconfigured(
      `secret ${ctx.secretName}: ${TAG.connection} ${error.message}`,
      'use NAME, VAULTNAME/NAME or https://VAULT.vault.azure.net/secrets/NAME',
    );
  }
}

/** The admin connection, read only after the policy allowed the secret that holds it. */
async function adminOf(ctx: TargetContext, policy: TargetPolicy | undefined): Promise<Admin> {
  const ref = referenceOf(ctx);
  const servers = serversForConnection(policy, ctx.secretName, ref);
  const secretName = describeReference(ref);
  const text = await ctx.readSibling(ctx.tags[TAG.connection] ?? ref.name);
  if (text === undefined) {
    throw misconfigured(
      `secret ${ctx.secretName}: connection secret ${secretName} does not exist`,
      `create ${secretName} holding postgres://ADMIN:PASSWORD@HOST:5432/DB, or fix the ${TAG.connection} tag`,
    );
  }
  let endpoint: PgEndpoint;
  try {
    endpoint = parseConnectionString(text);
  } catch (error) {
    if (!(error instanceof ConnectionStringError)) throw error;
    // The parser's messages name the problem and never quote the string, which may hold a password.
    throw misconfigured(
      `secret ${ctx.secretName}: connection secret ${secretName} is unusable (${error.message})`,
      `store postgres://ADMIN:PASSWORD@HOST:5432/DB?sslrootcert=/path/ca.pem (or libpq key=value form) in ${secretName}`,
    );
  }
  return { endpoint, secretName, server: serverFor(servers, endpoint, ctx.secretName, ref) };
}

/** The role and its admin connection, refusing the one setup that would lock the rotator out. */
async function accountOf(
  ctx: TargetContext,
  policy: TargetPolicy | undefined,
): Promise<{ role: string; admin: Admin; where: string }> {
  const role = roleOf(ctx);
  const admin = await adminOf(ctx, policy);
  if (role === admin.endpoint.user) {
    throw misconfigured(
      `secret ${ctx.secretName} would rotate the admin role ${role} of its own connection string`,
      `connect as another role in ${admin.secretName}; rotating the admin would lock the rotator out`,
    );
  }
  return { role, admin, where: describeEndpoint(admin.endpoint) };
}

function missingRole(ctx: TargetContext, role: string, where: string): RotatorError {
  return misconfigured(
    `role ${role} does not exist at ${where}`,
    `create the role, or fix the ${TAG.account} tag of secret ${ctx.secretName}`,
  );
}

/** Everything apply checks, without ALTER ROLE: a misconfiguration then changes nothing. */
async function precheck({ timeouts, policy }: Setup, ctx: TargetContext): Promise<void> {
  const { role, admin, where } = await accountOf(ctx, policy);
  const login = { user: admin.endpoint.user, password: admin.endpoint.password };
  let roleExists = true;
  try {
    await withSession(admin.endpoint, login, timeouts, async (client) => {
      roleExists = (await checkRole(client, role, admin.server, ctx.secretName, where)) === 'ok';
    });
  } catch (error) {
    if (error instanceof RotatorError) throw error;
    throw adminError(pgFailure(error, [admin.endpoint.password ?? '']), where, admin.secretName);
  }
  if (!roleExists) throw missingRole(ctx, role, where);
}

async function apply(
  { timeouts, policy }: Setup,
  ctx: TargetContext,
  newValue: string | undefined,
): Promise<AppliedCredential> {
  if (newValue === undefined) {
    throw misconfigured(
      'postgres needs a generated value',
      'this is a bug in the engine: postgres has a policy',
    );
  }
  const { role, admin, where } = await accountOf(ctx, policy);
  // A verifier, not the password: see scram-verifier.ts. Re-applying the same value is harmless.
  const verifier = scramSha256Verifier(newValue);
  const secrets = [newValue, verifier, admin.endpoint.password ?? ''];
  const login = { user: admin.endpoint.user, password: admin.endpoint.password };
  let roleExists = true;
  try {
    await withSession(admin.endpoint, login, timeouts, async (client) => {
      // Checked again in the session that changes it: a missing role then fails without the server
      // logging a password statement, and a role made SUPERUSER since precheck is still refused.
      if ((await checkRole(client, role, admin.server, ctx.secretName, where)) === 'missing') {
        roleExists = false;
        return;
      }
      await client.query(
        `ALTER ROLE ${client.escapeIdentifier(role)} WITH PASSWORD ${client.escapeLiteral(verifier)}`,
      );
    });
  } catch (error) {
    if (error instanceof RotatorError) throw error;
    const failure = pgFailure(error, secrets);
    if (failure.sqlState === SQLSTATE.undefinedObject) roleExists = false;
    else throw adminError(failure, where, admin.secretName);
  }
  if (!roleExists) throw missingRole(ctx, role, where);
  return { value: newValue, tags: {} };
}

async function verify(
  { timeouts, policy }: Setup,
  ctx: TargetContext,
  value: string,
): Promise<VerifyOutcome> {
  const role = roleOf(ctx);
  const admin = await adminOf(ctx, policy);
  const endpoint = describeEndpoint(admin.endpoint);
  try {
    await withSession(admin.endpoint, { user: role, password: value }, timeouts, () => Promise.resolve());
    return { accepted: true };
  } catch (error) {
    const failure = pgFailure(error, [value, admin.endpoint.password ?? '']);
    const insecure = securityError(failure, endpoint);
    if (insecure !== undefined) throw insecure;
    if (failure.sqlState === SQLSTATE.invalidPassword) {
      return { accepted: false, reason: `password authentication failed (${failure.sqlState})`, endpoint };
    }
    if (
      failure.sqlState === SQLSTATE.invalidAuthorization ||
      failure.sqlState === SQLSTATE.invalidCatalogName
    ) {
      throw misconfigured(
        `role ${role} cannot log in at ${endpoint}: ${summarize(failure)}`,
        'give the role LOGIN and CONNECT on the database, and a pg_hba.conf line for the rotator host',
      );
    }
    if (isTransient(failure)) {
      throw new RotatorError(
        'TARGET_UNREACHABLE',
        `PostgreSQL unreachable at ${endpoint}: ${summarize(failure)}`,
        {
          hint: 'check that the server runs and that the rotator may reach its host and port; the rotation is retried',
        },
      );
    }
    throw new RotatorError(
      'TARGET_REJECTED',
      `verifying role ${role} at ${endpoint} failed: ${summarize(failure)}`,
      {
        hint: 'read the server log around this time; the rotation is retried',
      },
    );
  }
}

/**
 * A PostgreSQL role's password. PostgreSQL holds one password per role, so the old one dies at
 * ALTER ROLE and there is nothing to retire; the engine's pending record is what makes that safe.
 */
export function createPostgresTarget(options: PostgresTargetOptions = {}): RotationTarget {
  const setup: Setup = {
    timeouts: {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      statementTimeoutMs: options.statementTimeoutMs ?? 15_000,
    },
    policy: options.policy,
  };
  return {
    kind: 'postgres',
    policy: POSTGRES_POLICY,
    external: true,
    requiredTags: [TAG.account, TAG.connection],
    precheck: (ctx) => precheck(setup, ctx),
    apply: (ctx, newValue) => apply(setup, ctx, newValue),
    verify: (ctx, value) => verify(setup, ctx, value),
    retire: () => Promise.resolve(),
  };
}
