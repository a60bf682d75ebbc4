import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Client, ClientConfig } from 'pg';
import type { PgEndpoint } from './connection-string';

export interface SessionTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/** Thrown when a server asks for the password in cleartext: we never answer that request. */
export class CleartextPasswordRefused extends Error {
  override readonly name = 'CleartextPasswordRefused';
  readonly code = 'ROTATOR_CLEARTEXT_REFUSED';
  constructor() {
    super(
      'the server asked for a cleartext password; the rotator never sends one (a man in the middle would read it)',
    );
  }
}

/**
 * pg's `ssl` option for a libpq sslmode. `disable`/`allow`/`prefer` are plain TCP (pg has no
 * opportunistic TLS); `require` encrypts without checking the certificate; `verify-ca` checks the
 * chain; `verify-full` also the host name. The policy decides which of these a server may use.
 */
export function tlsOptions(endpoint: PgEndpoint): false | ConnectionOptions {
  const ca = endpoint.sslrootcert === undefined ? undefined : readFileSync(endpoint.sslrootcert, 'utf8');
  switch (endpoint.sslmode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ca };
  }
}

/** The whole pg client configuration of one session: TLS per sslmode, channel binding whenever TLS. */
export function clientConfig(
  endpoint: PgEndpoint,
  login: { user: string; password: string | undefined },
  timeouts: SessionTimeouts,
): ClientConfig {
  const ssl = tlsOptions(endpoint);
  return {
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: login.user,
    password: login.password,
    ssl,
    // SCRAM-SHA-256-PLUS binds the login to this TLS channel when the server offers it, so a relay
    // holding another certificate cannot pass the exchange on.
    enableChannelBinding: ssl !== false,
    application_name: 'rotator',
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    // Bounded on both sides: the server cancels a statement stuck on a lock, the client stops
    // waiting for a server that stopped answering.
    statement_timeout: timeouts.statementTimeoutMs,
    query_timeout: timeouts.statementTimeoutMs + 1_000,
  };
}

interface ClientInternals {
  connection: { emit(event: 'error', error: Error): boolean };
  _handleAuthCleartextPassword?: (message: unknown) => void;
}

/**
 * pg answers AuthenticationCleartextPassword with the password and has no option to refuse it. Its
 * handler is bound when connect() starts, so replacing it on the instance before then turns the
 * request into a connection error. test/integration/postgres-tls.test.ts proves it against a server
 * configured with `password` authentication, so a pg upgrade that renames the handler fails there.
 */
function refuseCleartext(client: Client): void {
  const internals = client as unknown as ClientInternals;
  internals._handleAuthCleartextPassword = () => {
    internals.connection.emit('error', new CleartextPasswordRefused());
  };
}

/**
 * Runs `work` in one short-lived session and always closes it. One connection per call, never a pool:
 * a rotation touches PostgreSQL a few times a fortnight, and a pooled session would outlive the
 * credential it was opened with.
 */
/**
 * pg is loaded by the first session: a daemon whose policy names no PostgreSQL server never holds it
 * (BENCHMARKS.md, "Sweep at scale": what a daemon loads at rest).
 */
let pgLoaded: Promise<typeof import('pg')> | undefined;
const pgClient = async (): Promise<typeof Client> => (await (pgLoaded ??= import('pg'))).Client;

export async function withSession<T>(
  endpoint: PgEndpoint,
  login: { user: string; password: string | undefined },
  timeouts: SessionTimeouts,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const PgClient = await pgClient();
  const client = new PgClient(clientConfig(endpoint, login, timeouts));
  refuseCleartext(client);
  // A session that breaks after connecting emits 'error'; unheard, it would crash the process. The
  // pending call rejects with the same error, which is where it is handled.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
