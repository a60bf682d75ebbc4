import { shutdownAzureMonitor, useAzureMonitor } from '@azure/monitor-opentelemetry';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RootSpanSummary } from './root-span-summary';

export interface TelemetryOptions {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING: Azure Monitor through its OpenTelemetry distro. */
  connectionString?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, used when Azure Monitor is not configured. */
  otlpEndpoint?: string;
  serviceName: string;
  serviceVersion: string;
  /** Without an exporter: one summary line per finished root span on stderr ('quiet'), or nothing. */
  console: 'quiet' | 'off';
  /** How often metrics are exported (default 60 s); tests shorten it. */
  metricIntervalMs?: number;
}

interface Telemetry {
  readonly mode: 'azure-monitor' | 'otlp' | 'console';
  /** Exports what is buffered and stops; the last spans of a stopping daemon are not lost. */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/**
 * Sets up tracing, metrics and logs once per process, before the rest of the daemon makes spans.
 * Every action is sampled: a rotator's telemetry is an audit trail, not a statistical sample.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (running !== undefined) return running;
  const resource = resourceFromAttributes({
    'service.name': options.serviceName,
    'service.version': options.serviceVersion,
  });
  if (options.connectionString !== undefined) {
    useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: options.connectionString,
        disableOfflineStorage: true,
      },
      resource,
      samplingRatio: 1,
      tracesPerSecond: 0,
      enableLiveMetrics: false,
      enableTraceBasedSamplingForLogs: false,
    });
    running = { mode: 'azure-monitor', shutdown: () => shutdownAzureMonitor() };
    return running;
  }
  const sdk =
    options.otlpEndpoint !== undefined
      ? new NodeSDK({
          resource,
          spanProcessors: [
            new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.otlpEndpoint}/v1/traces` })),
          ],
          metricReaders: [
            new PeriodicExportingMetricReader({
              exporter: new OTLPMetricExporter({ url: `${options.otlpEndpoint}/v1/metrics` }),
              exportIntervalMillis: options.metricIntervalMs ?? 60_000,
            }),
          ],
          logRecordProcessors: [
            new BatchLogRecordProcessor(new OTLPLogExporter({ url: `${options.otlpEndpoint}/v1/logs` })),
          ],
          instrumentations: [],
        })
      : new NodeSDK({
          resource,
          spanProcessors: options.console === 'quiet' ? [new RootSpanSummary(process.stderr)] : [],
          // Empty, not absent: absent, NodeSDK falls back to OTLP exporters at 127.0.0.1:4318, so a
          // daemon with no telemetry configured posted metrics and audit records there every minute
          // and spent ~8 s of retries on each stop (found by npm run bench).
          metricReaders: [],
          logRecordProcessors: [],
          instrumentations: [],
        });
  sdk.start();
  running = {
    mode: options.otlpEndpoint !== undefined ? 'otlp' : 'console',
    shutdown: () => sdk.shutdown(),
  };
  return running;
}
