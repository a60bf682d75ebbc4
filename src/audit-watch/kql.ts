import type { DateTime } from 'luxon';
import { AUDIT_COLUMNS } from './audit-row';

/**
 * The one place the watcher's KQL is written. It is built from parameters only (the vault URLs from
 * the configuration, the rotator's own object ids from its token, the request-id mark), every literal
 * escaped, with an explicit time range in the query and in the request's timespan. It stays inside
 * the operators the emulator evaluates (where, in, startswith, not(), tostring(), datetime(), project,
 * order by, take) and is checked against AZKVAuditLogs' schema with Microsoft's parser in the tests.
 */

/**
 * Operations that hand the caller a secret's value: a get, and a backup (a restorable copy of every
 * version). A deleted secret's bundle carries no value, so SecretGetDeleted is not one of them.
 */
export const VALUE_READ_OPERATIONS = ['SecretGet', 'SecretBackup'] as const;

export interface AuditQueryParams {
  vaultUrls: readonly string[];
  from: DateTime;
  to: DateTime;
  /** The rotator's own object ids: its marked reads are left out at the source. */
  selfObjectIds: readonly string[];
  requestIdPrefix: string;
  /** At most this many rows per query; a full page is followed by the next one. */
  limit: number;
}

export interface AuditQuery {
  query: string;
  timespan: { startTime: Date; endTime: Date };
}

/** A KQL string literal: double-quoted, with backslash and quote escaped and control characters refused. */
export function kqlString(value: string): string {
  if ([...value].some((c) => c.charCodeAt(0) < 0x20))
    throw new Error('a KQL literal may not hold control characters');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function kqlDatetime(at: DateTime): string {
  const iso = at.toUTC().toISO({ suppressMilliseconds: false, includeOffset: false });
  if (iso === null) throw new Error('invalid instant for a KQL datetime');
  return `datetime(${iso}Z)`;
}

/** Rows of one vault: the addressed object's URI starts with the vault's origin (secrets and deletedsecrets). */
function vaultPrefix(vaultUrl: string): string {
  return `${new URL(vaultUrl).origin}/`;
}

export function buildAuditQuery(p: AuditQueryParams): AuditQuery {
  if (p.vaultUrls.length === 0) throw new Error('the audit query needs at least one vault');
  if (!Number.isInteger(p.limit) || p.limit < 1) throw new Error('the audit query needs a positive limit');
  const ops = VALUE_READ_OPERATIONS.map(kqlString).join(', ');
  const inVaults = p.vaultUrls
    .map(vaultPrefix)
    .flatMap((prefix) => [`Id startswith ${kqlString(prefix)}`, `RequestUri startswith ${kqlString(prefix)}`])
    .join(' or ');
  const lines = [
    'AZKVAuditLogs',
    `| where TimeGenerated >= ${kqlDatetime(p.from)} and TimeGenerated <= ${kqlDatetime(p.to)}`,
    `| where OperationName in (${ops})`,
    '| where HttpStatusCode >= 200 and HttpStatusCode < 300',
    `| where ${inVaults}`,
  ];
  if (p.selfObjectIds.length > 0) {
    const self = p.selfObjectIds.map(kqlString).join(', ');
    lines.push(
      `| where not(CorrelationId startswith ${kqlString(p.requestIdPrefix)} and tostring(Identity.claim.oid) in (${self}))`,
    );
  }
  lines.push(`| project ${AUDIT_COLUMNS.join(', ')}`, '| order by TimeGenerated asc', `| take ${p.limit}`);
  return {
    query: lines.join('\n'),
    timespan: { startTime: p.from.toJSDate(), endTime: p.to.toJSDate() },
  };
}
