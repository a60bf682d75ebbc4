import { metrics, SpanKind, trace, type Counter, type Meter } from '@opentelemetry/api';
import { UNBROKERED_REASON, type ScanSummary, type UseFinding } from '../audit-watch';
import { emitAudit, type AuditLog } from './audit';
import { counter } from './instruments';
import { ATTR, SCOPE, SPAN } from './names';
import { errorCode, inOperationSpan } from './span-basics';

/** The outcome of a use found in Key Vault's own log (contract). */
export const UNBROKERED_OUTCOME = 'unbrokered';

export interface AuditScanTelemetry {
  instrument(run: () => Promise<ScanSummary>): Promise<ScanSummary>;
  onUse(finding: UseFinding): void;
}

/**
 * The watcher's telemetry: one `audit.scan` span per scan (its counts as attributes), and per secret and
 * reader found using it an audit record (action `read`, outcome `unbrokered`, verified: the identity is
 * Key Vault's) and the `rotator.reads.unbrokered` counter by vault.
 */
export function auditScanTelemetry(
  log?: AuditLog,
  meter: Meter = metrics.getMeter(SCOPE),
): AuditScanTelemetry {
  const reads = counter(meter, 'readsUnbrokered');
  return { instrument: instrumentScan, onUse: (finding) => recordUse(reads, finding, log) };
}

/** One scan in an `audit.scan` span, its counts as attributes; a failed scan is retried by the watcher. */
function instrumentScan(run: () => Promise<ScanSummary>): Promise<ScanSummary> {
  return inOperationSpan(
    SPAN.auditScan,
    SpanKind.CONSUMER,
    async (span) => {
      const summary = await run();
      for (const [key, value] of Object.entries(summary)) {
        if (typeof value === 'number') span.setAttribute(`rotator.audit.${key}`, value);
      }
      span.setAttributes({ 'rotator.audit.from': summary.from, 'rotator.audit.to': summary.to });
      span.setAttribute(ATTR.outcome, summary.failed > 0 ? 'partial' : 'done');
      return summary;
    },
    (span, error) => span.setAttributes({ [ATTR.errorCode]: errorCode(error), [ATTR.outcome]: 'retrying' }),
  );
}

function recordUse(reads: Counter, finding: UseFinding, log: AuditLog | undefined): void {
  reads.add(finding.reads, { [ATTR.vault]: finding.vault });
  trace.getActiveSpan()?.addEvent('audit.unbrokered', {
    [ATTR.secret]: finding.secret,
    [ATTR.vault]: finding.vault,
    [ATTR.actor]: finding.actor,
    [ATTR.reason]: 'usage',
  });
  const record = emitAudit({
    action: 'read',
    secret: finding.secret,
    vault: finding.vault,
    actor: finding.actor,
    actorId: finding.actorId,
    verified: true,
    reason: UNBROKERED_REASON,
    outcome: UNBROKERED_OUTCOME,
    reads: finding.reads,
    forcedAt: finding.forcedAt,
  });
  log?.(record);
}
