import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The console "exporter" of a machine without Azure Monitor or OTLP: one line per finished root span
 * (a rotation, a checkout, a sweep) on stderr, so a developer sees telemetry without drowning in it.
 */
export class RootSpanSummary implements SpanProcessor {
  constructor(private readonly out: NodeJS.WritableStream) {}

  onStart(_span: Span, _context: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (span.parentSpanContext !== undefined) return;
    const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
    const attributes = Object.fromEntries(
      Object.entries(span.attributes).filter(([k]) => k.startsWith('rotator.')),
    );
    this.out.write(
      `${JSON.stringify({ span: span.name, traceId: span.spanContext().traceId, durationMs: Math.round(ms), ...attributes })}\n`,
    );
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
