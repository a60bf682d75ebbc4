import { OTLPLogExporter as JsonLogs } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogs } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetrics } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetrics } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraces } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraces } from '@opentelemetry/exporter-trace-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InstrumentType, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpExporters {
  traces: SpanExporter;
  metrics: PushMetricExporter;
  logs: LogRecordExporter;
}

/**
 * `exporter` with its gauges reported as observed at each export. Under cumulative temporality (OTLP's
 * default) the metrics SDK keeps exporting every series a gauge ever observed, with its last value: a
 * secret that left the oldest kept by the snapshot, or left the vault, would show its old age for
 * ever. A gauge carries no temporality on the wire, so delta changes only that; counters and
 * histograms keep the exporter's. (Azure Monitor's exporter already asks delta for gauges.)
 */
export function gaugesAsObserved(exporter: PushMetricExporter): PushMetricExporter {
  const own = exporter.selectAggregationTemporality?.bind(exporter);
  return {
    export: (metrics, done) => exporter.export(metrics, done),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    ...(exporter.selectAggregation !== undefined && {
      selectAggregation: exporter.selectAggregation.bind(exporter),
    }),
    selectAggregationTemporality: (type) =>
      type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE
        ? AggregationTemporality.DELTA
        : (own?.(type) ?? AggregationTemporality.CUMULATIVE),
  };
}

/**
 * The three OTLP/HTTP exporters in one protocol. `http/protobuf` is OpenTelemetry's default and what
 * the Aspire dashboard accepts; `http/json` is for collectors configured for it.
 */
export function otlpExporters(endpoint: string, protocol: OtlpProtocol): OtlpExporters {
  const base = endpoint.replace(/\/+$/, '');
  const url = (signal: string): { url: string } => ({ url: `${base}/v1/${signal}` });
  return protocol === 'http/protobuf'
    ? {
        traces: new ProtoTraces(url('traces')),
        metrics: gaugesAsObserved(new ProtoMetrics(url('metrics'))),
        logs: new ProtoLogs(url('logs')),
      }
    : {
        traces: new JsonTraces(url('traces')),
        metrics: gaugesAsObserved(new JsonMetrics(url('metrics'))),
        logs: new JsonLogs(url('logs')),
      };
}
