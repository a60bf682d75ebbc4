import { SpanStatusCode, trace, type Span, type SpanKind } from '@opentelemetry/api';
import { isRotatorError } from '../errors';
import type { RotatorMetrics } from './metrics';
import { SCOPE } from './names';

/** What the traced operations (rotation, retirement, checkout, sweep) share. */
export const tracer = (): ReturnType<typeof trace.getTracer> => trace.getTracer(SCOPE);

export function errorCode(error: unknown): string {
  return isRotatorError(error) ? error.code : 'UNEXPECTED';
}

export function errorText(error: unknown): string {
  return isRotatorError(error) ? error.toOneLine() : error instanceof Error ? error.message : String(error);
}

/** Azure Monitor names a consumer span's request after this attribute (it sets it itself only for server spans). */
export const OPERATION_NAME = 'ai.operation.name';

export interface TracingDeps {
  metrics: RotatorMetrics;
  /** Also writes each audit record to the structured log. */
  log?(record: Record<string, string>): void;
}

/**
 * Runs `work` in an active span of its own (its name is also Azure Monitor's operation name). A failure
 * is recorded by `onError` and marks the span as an error before it is thrown on; the span always ends.
 */
export function inOperationSpan<T>(
  name: string,
  kind: SpanKind,
  work: (span: Span) => Promise<T>,
  onError: (span: Span, error: unknown) => void,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes: { [OPERATION_NAME]: name } }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      onError(span, error);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}
