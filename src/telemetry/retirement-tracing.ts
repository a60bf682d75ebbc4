import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { RetirementResult, RetirementSummary, RotationDeps } from '../rotation';
import { emitAudit, type AuditRecord } from './audit';
import type { RotatorMetrics } from './metrics';
import { ATTR, SPAN } from './names';
import { errorCode, errorText, OPERATION_NAME, tracer, type TracingDeps } from './span-basics';

type RetirementFields = Pick<
  AuditRecord,
  'retirement' | 'retirementCheck' | 'retirementReason' | 'overlapUntil'
>;

/** A retirement's outcome on the span, in the counter (once checked) and as audit fields. */
export function reportRetirement(
  span: Span,
  metrics: RotatorMetrics,
  retirement: RetirementSummary | undefined,
  target: string | undefined,
): RetirementFields {
  if (retirement === undefined) return {};
  span.setAttribute(ATTR.retirement, retirement.state);
  if (retirement.state === 'pending') {
    span.setAttribute(ATTR.overlapUntil, retirement.at);
    return { retirement: 'pending', overlapUntil: retirement.at };
  }
  if (retirement.check !== undefined) span.setAttribute(ATTR.retirementCheck, retirement.check);
  if (retirement.reason !== undefined) span.setAttribute(ATTR.retirementReason, retirement.reason);
  metrics.retirementChecked?.({ outcome: retirement.state, target });
  return {
    retirement: retirement.state,
    ...(retirement.check !== undefined && { retirementCheck: retirement.check }),
    ...(retirement.reason !== undefined && { retirementReason: retirement.reason }),
  };
}

export interface RetirementInfo {
  secret: string;
  vault: string;
  jobId: string;
}

/**
 * One retirement follow-up as a `rotation.retirement` span with its proof, the retirements counter
 * and an audit record (action `retirement`) that names the rotation whose overlap ended.
 */
export async function tracedRetirement(
  run: (onStep: NonNullable<RotationDeps['onStep']>) => Promise<RetirementResult>,
  info: RetirementInfo,
  deps: TracingDeps,
): Promise<RetirementResult> {
  const attributes: Attributes = {
    [OPERATION_NAME]: SPAN.retirement,
    [ATTR.secret]: info.secret,
    [ATTR.vault]: info.vault,
    'rotator.job_id': info.jobId,
  };
  return tracer().startActiveSpan(SPAN.retirement, { kind: SpanKind.CONSUMER, attributes }, async (span) => {
    const audit = (outcome: string, result?: RetirementResult, error?: unknown): void => {
      const fields = reportRetirement(span, deps.metrics, result?.retirement, result?.target);
      deps.log?.(
        emitAudit({
          action: 'retirement',
          secret: info.secret,
          vault: info.vault,
          actor: 'rotator',
          reason: 'overlap-ended',
          outcome,
          rotationId: result?.rotationId,
          jobId: info.jobId,
          ...fields,
          ...(error !== undefined && { errorCode: errorCode(error) }),
        }),
      );
    };
    try {
      const result = await run((_step, rotationId) => {
        if (rotationId !== undefined) span.setAttribute(ATTR.rotationId, rotationId);
      });
      span.setAttribute(ATTR.outcome, result.outcome);
      if (result.target !== undefined) span.setAttribute(ATTR.target, result.target);
      if (result.outcome === 'retired') audit(result.retirement?.state ?? 'retired', result);
      return result;
    } catch (error) {
      const code = errorCode(error);
      span.setAttributes({
        [ATTR.outcome]: code === 'ROTATION_LOCKED' ? 'postponed' : 'failed',
        [ATTR.errorCode]: code,
      });
      if (code !== 'ROTATION_LOCKED') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
        audit('failed', undefined, error);
      }
      throw error;
    } finally {
      span.end();
    }
  });
}
