import { SpanKind, trace, metrics, type Counter, type Meter } from '@opentelemetry/api';
import type { AccessEvent, AccessObserver, AccessOperation } from '../access/access-events';
import { emitAudit, type AuditLog } from './audit';
import { counter } from './instruments';
import { ATTR, SCOPE, SPAN } from './names';
import { inOperationSpan } from './span-basics';

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
export function accessTelemetry(log?: AuditLog, meter: Meter = metrics.getMeter(SCOPE)): AccessObserver {
  const requests = counter(meter, 'accessRequests');
  return {
    within: (operation, run) =>
      inOperationSpan(SPAN_OF[operation], SpanKind.SERVER, run, (span) => {
        span.setAttribute(ATTR.outcome, 'failed');
        requests.add(1, { 'rotator.operation': operation, [ATTR.outcome]: 'failed' });
      }),
    record: (event: AccessEvent) => recordEvent(requests, event, log),
  };
}

function spanAttributes(event: AccessEvent): Record<string, string | boolean> {
  return {
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
  };
}

function recordEvent(requests: Counter, event: AccessEvent, log: AuditLog | undefined): void {
  const span = trace.getActiveSpan();
  span?.setAttributes(spanAttributes(event));
  if (event.outcome === 'expired')
    span?.addEvent('access.expired', { [ATTR.requestId]: event.requestId ?? '' });
  requests.add(1, { 'rotator.operation': event.operation, [ATTR.outcome]: event.outcome });
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
}
