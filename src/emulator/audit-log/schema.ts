/** Column types as the Log Analytics query API names them. */
export type ColumnType =
  'datetime' | 'string' | 'int' | 'long' | 'real' | 'bool' | 'dynamic' | 'timespan' | 'guid';

/** A cell: Date for datetime, a plain object/array for dynamic, number of ms for timespan. */
export type Cell = string | number | boolean | Date | null | Record<string, unknown> | unknown[];
export type Row = Record<string, Cell>;

export const AUDIT_TABLE = 'AZKVAuditLogs';

/** A hidden per-row value behind KQL's ingestion_time(): when the row became queryable. */
export const INGESTION_TIME = '$IngestionTime';

/**
 * The columns of the resource-specific Key Vault audit table that the emulator fills (a subset of
 * Microsoft's AZKVAuditLogs reference; the others never matter for secrets and are left out).
 */
export const AUDIT_COLUMNS: ReadonlyArray<{ name: string; type: ColumnType }> = [
  { name: 'TenantId', type: 'string' },
  { name: 'TimeGenerated', type: 'datetime' },
  { name: 'OperationName', type: 'string' },
  { name: 'OperationVersion', type: 'string' },
  { name: 'Category', type: 'string' },
  { name: 'ResultType', type: 'string' },
  { name: 'ResultSignature', type: 'string' },
  { name: 'ResultDescription', type: 'string' },
  { name: 'HttpStatusCode', type: 'int' },
  { name: 'DurationMs', type: 'int' },
  { name: 'CallerIpAddress', type: 'string' },
  { name: 'CorrelationId', type: 'string' },
  { name: 'Identity', type: 'dynamic' },
  { name: 'Id', type: 'string' },
  { name: 'RequestUri', type: 'string' },
  { name: 'ClientInfo', type: 'string' },
  { name: 'IsRbacAuthorized', type: 'bool' },
  { name: 'IsAccessPolicyMatch', type: 'bool' },
  { name: 'AppliedAssignmentId', type: 'string' },
  { name: 'SourceSystem', type: 'string' },
  { name: '_ResourceId', type: 'string' },
  { name: '_SubscriptionId', type: 'string' },
  { name: 'Type', type: 'string' },
];

export const AUDIT_COLUMN_TYPES: ReadonlyMap<string, ColumnType> = new Map(
  AUDIT_COLUMNS.map((c) => [c.name, c.type]),
);
