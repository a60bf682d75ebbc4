import { Client } from 'pg';
import type { PgEndpoint } from './connection-string';

export interface SessionTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Runs `work` in one short-lived session and always closes it. One connection per call, never a pool:
 * a rotation touches PostgreSQL a few times a fortnight, and a pooled session would outlive the
 * credential it was opened with.
 */
export async function withSession<T>(
  endpoint: PgEndpoint,
  login: { user: string; password: string | undefined },
  timeouts: SessionTimeouts,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: login.user,
    password: login.password,
    ssl: endpoint.ssl,
    application_name: 'rotator',
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    // Bounded on both sides: the server cancels a statement stuck on a lock, the client stops
    // waiting for a server that stopped answering.
    statement_timeout: timeouts.statementTimeoutMs,
    query_timeout: timeouts.statementTimeoutMs + 1_000,
  });
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
