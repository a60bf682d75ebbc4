import { RotatorError } from '../../errors';
import type {
  AppliedCredential,
  ProofOutcome,
  RetiredCredential,
  RotationTarget,
  TargetContext,
  VerifyOutcome,
} from '../../rotation';
import { TAG } from '../../tags';
import { proveRefused } from '../prove-refused';
import { requiredTag } from '../target-tags';
import {
  LOGIN_TAG,
  LOGINS_TAG,
  loginOfVersion,
  loginsOf,
  nextLogin,
  POSTGRES_OVERLAP_DEFAULT_MS,
} from './alternating-logins';
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
  role: string = roleOf(ctx),
): Promise<{ role: string; admin: Admin; where: string }> {
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
    `create the role, or fix the ${TAG.account} (or ${LOGINS_TAG}) tag of secret ${ctx.secretName}`,
  );
}

/** Everything apply checks, without ALTER ROLE: a misconfiguration then changes nothing. */
async function precheck({ timeouts, policy }: Setup, ctx: TargetContext): Promise<void> {
  const roles = loginsOf(ctx.tags, ctx.secretName) ?? [roleOf(ctx)];
  for (const candidate of roles) {
    const { role, admin, where } = await accountOf(ctx, policy, candidate);
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
}

/** The login a new password goes to: the other alternating login, or the one role. */
function applyRole(ctx: TargetContext): string {
  const logins = loginsOf(ctx.tags, ctx.secretName);
  return logins === undefined ? roleOf(ctx) : nextLogin(logins, ctx.tags[LOGIN_TAG]);
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
  const { role, admin, where } = await accountOf(ctx, policy, applyRole(ctx));
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
  return {
    value: newValue,
    tags: loginsOf(ctx.tags, ctx.secretName) === undefined ? {} : { [LOGIN_TAG]: role },
  };
}

/** Accepted when the value logs in as the role, or (alternating) as either login, saying which. */
async function verify(setup: Setup, ctx: TargetContext, value: string): Promise<VerifyOutcome> {
  const logins = loginsOf(ctx.tags, ctx.secretName);
  if (logins === undefined) return tryLogin(setup, ctx, roleOf(ctx), value);
  const first = applyRole(ctx);
  let last: VerifyOutcome = { accepted: false, reason: 'not checked', endpoint: '' };
  for (const role of [first, first === logins[0] ? logins[1] : logins[0]]) {
    last = await tryLogin(setup, ctx, role, value);
    if (last.accepted) return { accepted: true, tags: { [LOGIN_TAG]: role } };
  }
  return last;
}

/** Alternating logins: the previous login's password is set to NULL, so nothing signs in with it. */
async function retire(
  { timeouts, policy }: Setup,
  ctx: TargetContext,
  previousTags: Readonly<Record<string, string>>,
  committed: AppliedCredential,
): Promise<void> {
  const logins = loginsOf(ctx.tags, ctx.secretName);
  if (logins === undefined) return;
  const tagged = previousTags[LOGIN_TAG];
  const kept = committed.tags[LOGIN_TAG] ?? (tagged === undefined ? undefined : nextLogin(logins, tagged));
  if (kept === undefined) return;
  // A version written before alternation has no login: the one not kept is the stale one.
  const previous = tagged ?? nextLogin(logins, kept);
  if (kept === previous || !logins.includes(previous)) return;
  const { role, admin, where } = await accountOf(ctx, policy, previous);
  const login = { user: admin.endpoint.user, password: admin.endpoint.password };
  try {
    await withSession(admin.endpoint, login, timeouts, async (client) => {
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH PASSWORD NULL`);
    });
  } catch (error) {
    throw adminError(pgFailure(error, [admin.endpoint.password ?? '']), where, admin.secretName);
  }
}

/** Proven only when every login the retired value might belong to refuses it. */
async function prove(setup: Setup, ctx: TargetContext, retired: RetiredCredential): Promise<ProofOutcome> {
  const known = loginOfVersion(ctx, retired.tags);
  const roles = known !== undefined ? [known] : (loginsOf(ctx.tags, ctx.secretName) ?? [roleOf(ctx)]);
  const outcomes: ProofOutcome[] = [];
  for (const role of roles) {
    outcomes.push(
      await proveRefused((value) => tryLogin(setup, ctx, role, value), retired.value, `login as ${role}`),
    );
  }
  const failed = outcomes.find((o) => !o.proven);
  return failed ?? { proven: true, check: outcomes.map((o) => o.check).join('; ') };
}

async function tryLogin(
  { timeouts, policy }: Setup,
  ctx: TargetContext,
  role: string,
  value: string,
): Promise<VerifyOutcome> {
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
 * A PostgreSQL role's password. PostgreSQL holds one password per role, so with one role the old
 * one dies at ALTER ROLE (no overlap); with two alternating logins (`rotation-logins`) the previous
 * login keeps working through the overlap and retire sets its password to NULL.
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
    retire: (ctx, previousTags, committed) => retire(setup, ctx, previousTags, committed),
    // One password per role: overlap only with two alternating logins (see alternating-logins.ts).
    overlapDefaultMs: (tags) => (tags[LOGINS_TAG] === undefined ? undefined : POSTGRES_OVERLAP_DEFAULT_MS),
    prove: (ctx, retired) => prove(setup, ctx, retired),
  };
}
