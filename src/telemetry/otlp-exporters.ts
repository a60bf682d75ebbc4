import { OTLPLogExporter as JsonLogs } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogs } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetrics } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetrics } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraces } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraces } from '@opentelemetry/exporter-trace-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpExporters {
  traces: SpanExporter;
  metrics: PushMetricExporter;
  logs: LogRecordExporter;
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
        metrics: new ProtoMetrics(url('metrics')),
        logs: new ProtoLogs(url('logs')),
      }
    : {
        traces: new JsonTraces(url('traces')),
        metrics: new JsonMetrics(url('metrics')),
        logs: new JsonLogs(url('logs')),
      };
}
