import { context, metrics, trace, type Meter } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A reader that exports only when a test asks, so a test sees exactly what one collection holds. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface MemoryTelemetry {
  spans(): ReadableSpan[];
  logRecords(): ReadableLogRecord[];
  collectMetrics(): Promise<ResourceMetrics>;
  reset(): void;
  shutdown(): Promise<void>;
}

/**
 * Registers real OpenTelemetry SDK providers that keep everything in memory, so a unit test can read
 * exactly the spans, metrics and log records the code under test produced, with no exporter or network.
 */
export function installMemoryTelemetry(): MemoryTelemetry {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(logExporter)] });
  logs.setGlobalLoggerProvider(loggerProvider);
  return {
    spans: () => spanExporter.getFinishedSpans(),
    logRecords: () => logExporter.getFinishedLogRecords(),
    collectMetrics: async () => (await reader.collect()).resourceMetrics,
    reset: () => {
      spanExporter.reset();
      logExporter.reset();
    },
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      logs.disable();
      context.disable();
    },
  };
}

/** A meter of its own, for a test that must not see instruments other tests registered. */
export function isolatedMeter(): { meter: Meter; collect(): Promise<ResourceMetrics> } {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { meter: provider.getMeter('test'), collect: async () => (await reader.collect()).resourceMetrics };
}

/** The data points of one instrument from a collection, with their attributes. */
export function points(
  collected: ResourceMetrics,
  name: string,
): Array<{ value: unknown; attributes: Record<string, unknown> }> {
  return collected.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) =>
      (metric.dataPoints as Array<{ value: unknown; attributes: Record<string, unknown> }>).map((p) => ({
        value: p.value,
        attributes: p.attributes,
      })),
    );
}
