import { metrics, SpanKind, SpanStatusCode, trace, type Meter } from '@opentelemetry/api';
import { UNBROKERED_REASON, type ScanSummary, type UseFinding } from '../audit-watch';
import { isRotatorError } from '../errors';
import { emitAudit } from './audit';
import { ATTR, METRIC, SCOPE, SPAN } from './names';

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
  log?: (record: Record<string, string>) => void,
  meter: Meter = metrics.getMeter(SCOPE),
): AuditScanTelemetry {
  const reads = meter.createCounter(METRIC.readsUnbrokered, {
    description: 'Reads of managed secrets outside the rotator, found in Key Vault audit logs',
  });
  return {
    instrument: (run) =>
      trace
        .getTracer(SCOPE)
        .startActiveSpan(
          SPAN.auditScan,
          { kind: SpanKind.CONSUMER, attributes: { 'ai.operation.name': SPAN.auditScan } },
          async (span) => {
            try {
              const summary = await run();
              for (const [key, value] of Object.entries(summary)) {
                if (typeof value === 'number') span.setAttribute(`rotator.audit.${key}`, value);
              }
              span.setAttributes({ 'rotator.audit.from': summary.from, 'rotator.audit.to': summary.to });
              span.setAttribute(ATTR.outcome, summary.failed > 0 ? 'partial' : 'done');
              return summary;
            } catch (error) {
              const code = isRotatorError(error) ? error.code : 'UNEXPECTED';
              span.setAttributes({ [ATTR.errorCode]: code, [ATTR.outcome]: 'retrying' });
              span.setStatus({
                code: SpanStatusCode.ERROR,
                message: error instanceof Error ? error.message : String(error),
              });
              throw error;
            } finally {
              span.end();
            }
          },
        ),
    onUse: (finding) => {
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
    },
  };
}
