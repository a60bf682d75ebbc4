import { trace } from '@opentelemetry/api';
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
