import { Agent } from 'node:https';
import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus, type LogsQueryResult } from '@azure/monitor-query-logs';
import { RotatorError } from '../errors';
import { retryAfterMs } from '../http';
import { rowsFromTable, type AuditRow } from './audit-row';
import type { AuditQuery } from './kql';

/** The port the scan reads through: one query, its rows, or a typed error. */
export interface AuditLogSource {
  fetch(query: AuditQuery): Promise<AuditRow[]>;
}

export interface LogAnalyticsOptions {
  workspaceId: string;
  /** ROTATOR_LOGS_ENDPOINT, without the API version. */
  endpoint: string;
  credential: TokenCredential;
  /** An extra CA to trust (the emulator's), for this client only. */
  caPem?: string;
  /** How long the service may spend on one query. */
  serverTimeoutSeconds?: number;
}

interface RestLike {
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** The service's errors as ours: throttled and unreachable are retried by the watcher, never dropped. */
export function translateLogsError(error: unknown, workspaceId: string): RotatorError {
  const rest: RestLike = typeof error === 'object' && error !== null ? error : {};
  const where = `Log Analytics workspace ${workspaceId}`;
  if (rest.statusCode === 429) {
    return new RotatorError('AUDIT_THROTTLED', `${where} throttled the audit query`, {
      hint: 'the watcher backs off and reads the same range again; raise ROTATOR_AUDIT_POLL if this persists',
      cause: error,
      // An HTTP-date Retry-After is the service's wall clock, so it is compared with ours.
      retryAfterMs: retryAfterMs(rest.response?.headers, Date.now()),
    });
  }
  if (rest.statusCode === 401 || rest.statusCode === 403) {
    return new RotatorError('AUDIT_FORBIDDEN', `${where} refused the audit query (HTTP ${rest.statusCode})`, {
      hint: "grant the daemon's identity 'Log Analytics Reader' on that workspace (bicep/main.bicep does)",
      cause: error,
    });
  }
  if (rest.statusCode === 400) {
    return new RotatorError(
      'AUDIT_QUERY_FAILED',
      `${where} rejected the audit query (${rest.code ?? 'HTTP 400'})`,
      {
        hint: 'check that the vaults send AuditEvent to this workspace with resource-specific tables (AZKVAuditLogs)',
        cause: error,
      },
    );
  }
  const reason = error instanceof Error ? ` (${rest.code ?? error.message})` : '';
  return new RotatorError('AUDIT_UNREACHABLE', `${where} did not answer the audit query${reason}`, {
    hint: 'check ROTATOR_LOGS_ENDPOINT and network access; the watcher retries with backoff',
    cause: error,
  });
}

/** Rows of a full answer; a partial answer is an error, so no row is ever taken as "all there is". */
export function rowsOf(result: LogsQueryResult, workspaceId: string): AuditRow[] {
  if (result.status !== LogsQueryResultStatus.Success) {
    throw new RotatorError(
      'AUDIT_QUERY_FAILED',
      `Log Analytics workspace ${workspaceId} answered the audit query only in part (${result.partialError.code ?? 'PartialFailure'})`,
      { hint: 'the watcher reads the same range again after a backoff', cause: result.partialError },
    );
  }
  return result.tables.flatMap((table) => rowsFromTable(table));
}

/** The adapter over Microsoft's LogsQueryClient (`POST {endpoint}/v1/workspaces/{id}/query`). */
export class LogAnalyticsAuditSource implements AuditLogSource {
  private readonly client: LogsQueryClient;

  constructor(private readonly options: LogAnalyticsOptions) {
    const endpoint = options.endpoint.replace(/\/+$/, '');
    this.client = new LogsQueryClient(options.credential, {
      // An explicit endpoint replaces the client's `{endpoint}/v1`, so the version is added here.
      endpoint: `${endpoint}/v1`,
      credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
      retryOptions: { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 5_000 },
      ...(options.caPem !== undefined && { agent: new Agent({ ca: options.caPem, keepAlive: true }) }),
    });
  }

  async fetch(query: AuditQuery): Promise<AuditRow[]> {
    let result: LogsQueryResult;
    try {
      result = await this.client.queryWorkspace(this.options.workspaceId, query.query, query.timespan, {
        serverTimeoutInSeconds: this.options.serverTimeoutSeconds ?? 60,
      });
    } catch (error) {
      throw translateLogsError(error, this.options.workspaceId);
    }
    return rowsOf(result, this.options.workspaceId);
  }
}
