import { SpanKind, SpanStatusCode, trace, metrics, type Meter } from '@opentelemetry/api';
import type { AccessEvent, AccessObserver, AccessOperation } from '../access/access-events';
import { emitAudit } from './audit';
import { ATTR, METRIC, SCOPE, SPAN } from './names';

const SPAN_OF: Record<AccessOperation, string> = {
  request: SPAN.accessRequest,
  decision: SPAN.accessDecision,
  checkout: SPAN.accessCheckout,
};

const ACTION: Record<AccessOperation, 'request' | 'decision' | 'checkout'> = {
  request: 'request',
  decision: 'decision',
  checkout: 'checkout',
};

/**
 * The access API's telemetry: one span per operation (`access.request`, `access.decision`,
 * `access.checkout`; server spans, so Azure Monitor lists them as requests), an audit record per state
 * change or refusal with the verified identity, and the `rotator.access.requests` counter by outcome.
 */
export function accessTelemetry(
  log?: (record: Record<string, string>) => void,
  meter: Meter = metrics.getMeter(SCOPE),
): AccessObserver {
  const counter = meter.createCounter(METRIC.accessRequests, {
    description: 'Access API operations, by operation and outcome',
  });
  const tracer = trace.getTracer(SCOPE);
  return {
    within: (operation, run) =>
      tracer.startActiveSpan(
        SPAN_OF[operation],
        { kind: SpanKind.SERVER, attributes: { 'ai.operation.name': SPAN_OF[operation] } },
        async (span) => {
          try {
            return await run();
          } catch (error) {
            span.setAttribute(ATTR.outcome, 'failed');
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: error instanceof Error ? error.message : String(error),
            });
            counter.add(1, { 'rotator.operation': operation, [ATTR.outcome]: 'failed' });
            throw error;
          } finally {
            span.end();
          }
        },
      ),
    record: (event: AccessEvent) => {
      const span = trace.getActiveSpan();
      span?.setAttributes({
        [ATTR.secret]: event.secret,
        [ATTR.vault]: event.vault,
        [ATTR.outcome]: event.outcome,
        [ATTR.actor]: event.actor.name,
        [ATTR.actorId]: event.actor.id,
        [ATTR.verified]: true,
        ...(event.ticket !== undefined && { [ATTR.ticket]: event.ticket }),
        ...(event.requestId !== undefined && { [ATTR.requestId]: event.requestId }),
        ...(event.approver !== undefined && {
          [ATTR.approver]: event.approver.name,
          [ATTR.approverId]: event.approver.id,
        }),
        ...(event.checkoutId !== undefined && { [ATTR.checkoutId]: event.checkoutId }),
        ...(event.errorCode !== undefined && { [ATTR.errorCode]: event.errorCode }),
      });
      if (event.outcome === 'expired')
        span?.addEvent('access.expired', { [ATTR.requestId]: event.requestId ?? '' });
      counter.add(1, { 'rotator.operation': event.operation, [ATTR.outcome]: event.outcome });
      const record = emitAudit({
        action: ACTION[event.operation],
        secret: event.secret,
        vault: event.vault,
        actor: event.actor.name,
        actorId: event.actor.id,
        verified: true,
        reason: event.reason,
        outcome: event.outcome,
        ticket: event.ticket,
        requestId: event.requestId,
        approver: event.approver?.name,
        approverId: event.approver?.id,
        checkoutId: event.checkoutId,
        errorCode: event.errorCode,
      });
      log?.(record);
    },
  };
}
