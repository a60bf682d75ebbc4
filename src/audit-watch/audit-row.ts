import { DateTime } from 'luxon';

/** The columns of `AZKVAuditLogs` the watcher reads (Microsoft's reference names and types). */
export const AUDIT_COLUMNS = [
  'TimeGenerated',
  'OperationName',
  'Id',
  'RequestUri',
  'CorrelationId',
  'Identity',
  'CallerIpAddress',
  'ClientInfo',
] as const;

/** One row of Key Vault's audit log as the watcher sees it; every field may be missing. */
export interface AuditRow {
  time: DateTime | undefined;
  operation: string;
  /** The addressed object's URI (a secret id, usually versioned). */
  id: string;
  requestUri: string;
  /** The client's x-ms-client-request-id. */
  correlationId: string;
  /** The token's claims: `{"claim": {"oid", "upn", "appid", …}}` (dynamic). */
  identity: unknown;
  callerIp: string;
  clientInfo: string;
}

/** A table as LogsQueryClient returns it: column names and rows of cells. */
export interface QueryTable {
  columnDescriptors: ReadonlyArray<{ name?: string }>;
  rows: ReadonlyArray<ReadonlyArray<unknown>>;
}

function text(cell: unknown): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return cell === null || cell === undefined ? '' : JSON.stringify(cell);
}

function instant(cell: unknown): DateTime | undefined {
  const parsed =
    cell instanceof Date
      ? DateTime.fromJSDate(cell, { zone: 'utc' })
      : typeof cell === 'string'
        ? DateTime.fromISO(cell, { zone: 'utc' })
        : undefined;
  return parsed?.isValid === true ? parsed : undefined;
}

/** A dynamic column may arrive parsed (the SDK parses `dynamic`) or as JSON text. */
function dynamic(cell: unknown): unknown {
  if (typeof cell !== 'string') return cell;
  try {
    return JSON.parse(cell) as unknown;
  } catch {
    return undefined;
  }
}

/** Rows by column name, so the order the service answers in does not matter. */
export function rowsFromTable(table: QueryTable): AuditRow[] {
  const index = new Map(table.columnDescriptors.map((c, i) => [c.name ?? '', i]));
  const cell = (row: ReadonlyArray<unknown>, name: (typeof AUDIT_COLUMNS)[number]): unknown => {
    const i = index.get(name);
    return i === undefined ? undefined : row[i];
  };
  return table.rows.map((row) => ({
    time: instant(cell(row, 'TimeGenerated')),
    operation: text(cell(row, 'OperationName')),
    id: text(cell(row, 'Id')),
    requestUri: text(cell(row, 'RequestUri')),
    correlationId: text(cell(row, 'CorrelationId')),
    identity: dynamic(cell(row, 'Identity')),
    callerIp: text(cell(row, 'CallerIpAddress')),
    clientInfo: text(cell(row, 'ClientInfo')),
  }));
}
