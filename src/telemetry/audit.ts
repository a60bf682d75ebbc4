import { context, trace } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { randomUUID } from 'node:crypto';
import { AUDIT_EVENT, SCOPE } from './names';

/** One auditable action. There is deliberately no field for a value. */
export interface AuditRecord {
  action: 'checkout' | 'rotation' | 'request' | 'decision' | 'read' | 'retirement';
  secret: string;
  vault: string;
  actor: string;
  reason: string;
  outcome: string;
  rotationId?: string;
  checkoutId?: string;
  errorCode?: string;
  jobId?: string;
  /** The rotation job's attempt (1 for the first run). */
  attempt?: string;
  /** The token's `oid` (access API); absent for free-text actors. */
  actorId?: string;
  /** True only for identities taken from a checked token; queued events and direct checkouts say false. */
  verified?: boolean;
  ticket?: string;
  requestId?: string;
  approver?: string;
  approverId?: string;
  /** How many reads one record stands for (a flood is one record per reader and scan). */
  reads?: number;
  forcedAt?: string;
  /** How the replaced credential was retired: pending (in overlap), proven or unproven. */
  retirement?: string;
  retirementCheck?: string;
  retirementReason?: string;
  overlapUntil?: string;
}

/** Where a caller also wants each audit record as sent (the structured log). */
export type AuditLog = (record: Record<string, string>) => void;

/** The customEvents name the workbook and alerts query. */
export const AUDIT_EVENT_NAME = AUDIT_EVENT;

const FORBIDDEN = /value|password|secret_?text|token|connection_?string/i;

/** customDimensions keys in the style KQL users expect (`rotation_id`, like `trace_id`). */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Writes one audit record as an OpenTelemetry log record; Azure Monitor lands it in customEvents (and so
 * in Log Analytics, kept 365 days by the deployment). Returns the record as sent, for the JSON log.
 */
export function emitAudit(record: AuditRecord): Record<string, string> {
  const span = trace.getSpan(context.active());
  // A unique id per record: a batch the exporter resends after an outage lands twice in the tables,
  // and the audit views count each audit_id once.
  const attributes: Record<string, string> = {
    'microsoft.custom_event.name': AUDIT_EVENT_NAME,
    audit_id: randomUUID(),
  };
  for (const [key, value] of Object.entries(record)) {
    // Defence in depth: a field that looks like it could carry a credential is never sent.
    if (value !== undefined && !FORBIDDEN.test(key)) attributes[snakeCase(key)] = String(value);
  }
  if (span !== undefined) attributes.trace_id = span.spanContext().traceId;
  logs.getLogger(SCOPE).emit({
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: `${record.action} of ${record.secret} by ${record.actor}: ${record.outcome}`,
    attributes,
  });
  return attributes;
}
