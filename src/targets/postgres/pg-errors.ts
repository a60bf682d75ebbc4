import { RotatorError } from '../../errors';

/** SQLSTATEs the target branches on (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SQLSTATE = {
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  invalidCatalogName: '3D000',
  undefinedObject: '42704',
  insufficientPrivilege: '42501',
} as const;

/** SQLSTATE classes that mean "the server cannot serve us now": connection, resources, operator action. */
const TRANSIENT_CLASSES = ['08', '53', '57'];

/** What we keep of a pg or socket error: codes only, so no statement or credential can leak through. */
interface PgFailure {
  /** A five-character SQLSTATE when the server answered. */
  sqlState: string | undefined;
  /** A Node socket code (ECONNREFUSED, ETIMEDOUT, …) when it did not. */
  errno: string | undefined;
  /** The server's message: PostgreSQL never quotes a statement or a password in it. */
  serverMessage: string | undefined;
  timedOut: boolean;
  /** A refusal on security grounds: a cleartext password request, no TLS, or a certificate that fails. */
  insecure: string | undefined;
}

/** Node's codes for a certificate that fails verification (a wrong CA, a wrong name, an expired one). */
const TLS_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+)$/;

function insecurity(code: string | undefined, message: string): string | undefined {
  if (code === 'ROTATOR_CLEARTEXT_REFUSED')
    return 'the server asked for a cleartext password, which the rotator never sends';
  if (code !== undefined && TLS_CODES.test(code))
    return `the server certificate failed verification (${code})`;
  if (/does not support SSL/i.test(message)) return 'the server does not offer TLS';
  return undefined;
}

/**
 * Keeps the codes of a pg or socket error. `secrets` are cut out of the server's message as a second
 * line of defence: PostgreSQL quotes parts of a statement in some errors (`syntax error at or near`).
 */
export function pgFailure(error: unknown, secrets: readonly string[] = []): PgFailure {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const isSqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  const message = error instanceof Error ? error.message : '';
  return {
    sqlState: isSqlState ? code : undefined,
    errno: isSqlState ? undefined : code,
    serverMessage: isSqlState ? redact(message, secrets) : undefined,
    // pg reports its own connect and query timeouts as plain Errors without a code.
    timedOut: /timeout|timed out/i.test(message) && !isSqlState,
    insecure: isSqlState ? undefined : insecurity(code, message),
  };
}

/**
 * A connection refused on security grounds is permanent: retrying against a server that asks for a
 * cleartext password or shows the wrong certificate (or a man in the middle doing so) cannot help.
 */
export function securityError(failure: PgFailure, where: string): RotatorError | undefined {
  if (failure.insecure === undefined) return undefined;
  return new RotatorError('TARGET_MISCONFIGURED', `PostgreSQL at ${where}: ${failure.insecure}`, {
    hint: 'give the server TLS with a certificate for its host name (the CA in sslrootcert) and scram-sha-256 in pg_hba.conf; a weaker sslmode needs the target policy to allow it',
    permanent: true,
  });
}

export function isTransient(failure: PgFailure): boolean {
  if (failure.sqlState === undefined) return true;
  return TRANSIENT_CLASSES.includes(failure.sqlState.slice(0, 2));
}

/** A one-line, credential-free summary: `28P01 password authentication failed for user "x"` or `ECONNREFUSED`. */
export function summarize(failure: PgFailure): string {
  if (failure.sqlState !== undefined) return `${failure.sqlState} ${failure.serverMessage ?? ''}`.trim();
  if (failure.insecure !== undefined) return failure.insecure;
  if (failure.timedOut) return 'timed out';
  return failure.errno ?? 'connection failed';
}

/** Maps a failure of the admin session (connect, lookup or ALTER ROLE) to the rotator's codes. */
export function adminError(failure: PgFailure, where: string, connectionSecret: string): RotatorError {
  const detail = `${where}: ${summarize(failure)}`;
  const insecure = securityError(failure, where);
  if (insecure !== undefined) return insecure;
  switch (failure.sqlState) {
    case SQLSTATE.invalidPassword:
    case SQLSTATE.invalidAuthorization:
      return new RotatorError('TARGET_REJECTED', `PostgreSQL refused the admin login at ${detail}`, {
        hint: `fix the user or password of the admin connection string in secret ${connectionSecret}, or the server's pg_hba.conf`,
      });
    case SQLSTATE.invalidCatalogName:
      return new RotatorError('TARGET_MISCONFIGURED', `the admin database does not exist at ${detail}`, {
        hint: `fix the database name of the connection string in secret ${connectionSecret}`,
        permanent: true,
      });
    case SQLSTATE.insufficientPrivilege:
      return new RotatorError(
        'TARGET_REJECTED',
        `the admin may not change this role's password at ${detail}`,
        {
          hint: `give the admin of secret ${connectionSecret} CREATEROLE (and ADMIN OPTION on the role from PostgreSQL 16), or use a superuser`,
          permanent: true,
        },
      );
    default:
      break;
  }
  if (isTransient(failure)) {
    return new RotatorError('TARGET_UNREACHABLE', `PostgreSQL unreachable at ${detail}`, {
      hint: 'check that the server runs and that the rotator may reach its host and port; the rotation is retried',
    });
  }
  return new RotatorError('TARGET_REJECTED', `PostgreSQL failed at ${detail}`, {
    hint: 'read the server log around this time; the rotation is retried',
  });
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => (secret === '' ? out : out.split(secret).join('[redacted]')), text);
}
