import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import type { RotationDeps, RotationResult, RotationStep } from '../rotation';
import { isRotatorError } from '../errors';
import { failureOutcome, type AttemptInfo } from '../scheduling/failure-outcome';
import type { UsageOutcome } from '../scheduling';
import { emitAudit, type AuditRecord } from './audit';
import { reportRetirement } from './retirement-tracing';
import { ATTR, EVENT, SPAN } from './names';
import { errorCode, errorText, OPERATION_NAME, tracer, type TracingDeps } from './span-basics';

/** The phase each step boundary ends, as a child span name. */
const PHASE: Record<RotationStep, string> = {
  locked: 'rotation.lock',
  'overlap-retired': 'rotation.retire-overlapping',
  prepared: 'rotation.prepare',
  applied: 'rotation.apply',
  verified: 'rotation.verify',
  committed: 'rotation.commit',
  retired: 'rotation.retire',
  proved: 'rotation.prove',
  closed: 'rotation.close',
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C traceparent of the active span, to carry a trace across a queue. Written by hand rather than
 * through the global propagator, which the Azure Monitor distro does not always register.
 */
export function currentTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (match === null) return undefined;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  return { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
}

/** A span link to the span a traceparent names (a checkout's, for the rotation it forces). */
export function linkFromTraceparent(traceparent: string | undefined): Link | undefined {
  const spanContext = spanContextOf(traceparent);
  return spanContext === undefined
    ? undefined
    : { context: spanContext, attributes: { 'rotator.link': 'checkout' } };
}

/** Adds a schedule decision to the active span (the sweep's), as a span event. */
export function recordDecision(decision: string, attributes: Attributes): void {
  trace.getActiveSpan()?.addEvent(`schedule.${decision}`, { ...attributes, [ATTR.decision]: decision });
}

interface RotationInfo {
  secret: string;
  vault: string;
  reason: string;
  actor: string;
  jobId?: string;
  checkoutId?: string;
  traceparent?: string;
  /** The job's attempt; without it a failure counts as the last attempt (nothing will retry it). */
  attempt?: Omit<AttemptInfo, 'reason'>;
}

function rotationAttributes(info: RotationInfo): Attributes {
  return {
    [OPERATION_NAME]: SPAN.rotation,
    [ATTR.secret]: info.secret,
    [ATTR.vault]: info.vault,
    [ATTR.reason]: info.reason,
    [ATTR.actor]: info.actor,
    ...(info.checkoutId !== undefined && { [ATTR.checkoutId]: info.checkoutId }),
    ...(info.jobId !== undefined && { 'rotator.job_id': info.jobId }),
    ...(info.attempt !== undefined && { [ATTR.attempt]: info.attempt.attempt }),
  };
}

/** The step hook handed to the engine: one child span per phase, from the previous step to this one. */
function stepSpans(
  span: Span,
  started: number,
): { onStep: NonNullable<RotationDeps['onStep']>; last(): RotationStep | undefined } {
  let phaseStart = started;
  let lastStep: RotationStep | undefined;
  const onStep = (step: RotationStep, rotationId: string | undefined): void => {
    if (rotationId !== undefined) span.setAttribute(ATTR.rotationId, rotationId);
    const now = Date.now();
    tracer().startSpan(PHASE[step], { kind: SpanKind.INTERNAL, startTime: phaseStart }).end(now);
    phaseStart = now;
    lastStep = step;
  };
  return { onStep, last: () => lastStep };
}

/** The outcome on the span, the rotations counter and duration, and the audit record. */
function finishRotation(
  span: Span,
  info: RotationInfo,
  deps: TracingDeps,
  started: number,
  finished: { outcome: string; result?: RotationResult; error?: unknown },
): void {
  const { outcome, result, error } = finished;
  span.setAttribute(ATTR.outcome, outcome);
  if (result !== undefined) span.setAttribute(ATTR.target, result.target);
  if (result?.rotationId !== undefined) span.setAttribute(ATTR.rotationId, result.rotationId);
  if (result?.recovery !== undefined) span.setAttribute('rotator.recovery', result.recovery);
  const seconds = (Date.now() - started) / 1000;
  deps.metrics.rotationFinished({ reason: info.reason, outcome, target: result?.target }, seconds);
  const retirement = reportRetirement(span, deps.metrics, result?.retirement, result?.target);
  const record: AuditRecord = {
    action: 'rotation',
    secret: info.secret,
    vault: info.vault,
    actor: info.actor,
    reason: info.reason,
    outcome,
    rotationId: result?.rotationId,
    checkoutId: info.checkoutId,
    jobId: info.jobId,
    ...(info.attempt !== undefined && { attempt: String(info.attempt.attempt) }),
    ...retirement,
    ...(error !== undefined && { errorCode: errorCode(error) }),
  };
  deps.log?.(emitAudit(record));
}

/**
 * One rotation as one trace: a root `rotation` span (consumer: Azure Monitor shows it in requests),
 * a child span per step, the outcome and error code as attributes, the rotations counter and
 * duration histogram, and one audit record. A forced rotation links to the checkout that caused it.
 */
export async function tracedRotation(
  run: (onStep: NonNullable<RotationDeps['onStep']>) => Promise<RotationResult>,
  info: RotationInfo,
  deps: TracingDeps,
): Promise<RotationResult> {
  const link = linkFromTraceparent(info.traceparent);
  const options = {
    kind: SpanKind.CONSUMER,
    attributes: rotationAttributes(info),
    links: link === undefined ? [] : [link],
  };
  return tracer().startActiveSpan(SPAN.rotation, options, async (span: Span) => {
    const started = Date.now();
    const steps = stepSpans(span, started);
    try {
      const result = await run(steps.onStep);
      // The schedule decision "skip": a rotation after the trigger already did the job.
      if (result.outcome === 'satisfied') span.addEvent('schedule.skipped-already-rotated');
      finishRotation(span, info, deps, started, { outcome: result.outcome, result });
      return result;
    } catch (error) {
      // The worker names the failure with the same rule, so span, metric, audit and status agree.
      const attempt: AttemptInfo = { attempt: 1, maxAttempts: 1, ...info.attempt, reason: info.reason };
      const outcome = failureOutcome(error, attempt);
      const code = errorCode(error);
      if (outcome === 'postponed') {
        span.addEvent('schedule.postponed-locked');
        span.setAttribute(ATTR.outcome, outcome);
        deps.metrics.rotationFinished({ reason: info.reason, outcome }, (Date.now() - started) / 1000);
      } else if (outcome === 'satisfied') {
        span.addEvent('schedule.skipped-secret-removed');
        finishRotation(span, info, deps, started, { outcome, error });
      } else {
        span.setAttribute(ATTR.errorCode, code);
        span.addEvent(EVENT.rotationFailed, {
          [ATTR.errorCode]: code,
          [ATTR.step]: steps.last() ?? 'start',
          [ATTR.outcome]: outcome,
          message: errorText(error),
        });
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
        finishRotation(span, info, deps, started, { outcome, error });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

/** One sweep as a `schedule.sweep` span; decisions arrive as its events through recordDecision. */
export async function tracedSweep<T extends object>(run: () => Promise<T>): Promise<T> {
  const attributes = { [OPERATION_NAME]: SPAN.sweep };
  return tracer().startActiveSpan(SPAN.sweep, { kind: SpanKind.CONSUMER, attributes }, async (span) => {
    try {
      const summary = await run();
      for (const [key, value] of Object.entries(summary)) {
        if (typeof value === 'number') span.setAttribute(`rotator.sweep.${key}`, value);
      }
      span.setAttribute(ATTR.outcome, 'done');
      return summary;
    } catch (error) {
      span.setAttribute(ATTR.errorCode, errorCode(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

function field(raw: unknown, key: string): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const value = (raw as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.slice(0, 256) : undefined;
}

function checkoutAttributes(raw: unknown, secret: string, checkoutId: string | undefined): Attributes {
  return {
    [OPERATION_NAME]: SPAN.checkout,
    [ATTR.secret]: secret,
    [ATTR.actor]: field(raw, 'actor') ?? '',
    [ATTR.reason]: 'usage',
    'rotator.checkout_reason': field(raw, 'reason') ?? '',
    ...(checkoutId !== undefined && { [ATTR.checkoutId]: checkoutId }),
  };
}

/** A checkout that failed: rejected when the event is invalid or the failure permanent, else retried. */
function failedCheckout(span: Span, error: unknown): { outcome: string; code: string } {
  const message = error instanceof Error ? error.message : String(error);
  const code = message.startsWith('USAGE_INVALID') ? 'USAGE_INVALID' : errorCode(error);
  // Only an invalid event is rejected; a transient failure is retried by the listener.
  const rejected = code === 'USAGE_INVALID' || (isRotatorError(error) && error.permanent);
  const outcome = rejected ? 'rejected' : 'retrying';
  span.setAttributes({ [ATTR.outcome]: outcome, [ATTR.errorCode]: code });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  return { outcome, code };
}

/**
 * One usage event as a `usage.checkout` span, child of the producer's trace when the event carries a
 * traceparent. Accepted checkouts and rejected events both leave an audit record.
 */
export async function tracedUsageEvent(
  raw: unknown,
  run: () => Promise<UsageOutcome>,
  deps: Pick<TracingDeps, 'log'>,
): Promise<UsageOutcome> {
  const producer = spanContextOf(field(raw, 'traceparent'));
  const parent = producer === undefined ? context.active() : trace.setSpanContext(context.active(), producer);
  const secret = field(raw, 'secret') ?? '';
  const checkoutId = field(raw, 'checkoutId');
  const attributes = checkoutAttributes(raw, secret, checkoutId);
  return tracer().startActiveSpan(
    SPAN.checkout,
    { kind: SpanKind.CONSUMER, attributes },
    parent,
    async (span) => {
      const audit = (outcome: string, vault: string, errorCode?: string): void => {
        deps.log?.(
          emitAudit({
            action: 'checkout',
            secret,
            vault,
            actor: field(raw, 'actor') ?? '',
            reason: field(raw, 'reason') ?? '',
            outcome,
            checkoutId,
            // Anyone with Redis access can write a usage event: its actor is free text.
            verified: false,
            ...(errorCode !== undefined && { errorCode }),
          }),
        );
      };
      try {
        const outcome = await run();
        span.setAttributes({
          [ATTR.vault]: outcome.vault,
          [ATTR.outcome]: outcome.satisfied ? 'satisfied' : 'scheduled',
          'rotator.forced_at': outcome.forcedAt,
          ...(outcome.jobId !== undefined && { 'rotator.job_id': outcome.jobId }),
        });
        audit(outcome.satisfied ? 'satisfied' : 'recorded', outcome.vault);
        return outcome;
      } catch (error) {
        const { outcome, code } = failedCheckout(span, error);
        audit(outcome, field(raw, 'vault') ?? '', code);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
