import { shutdownAzureMonitor, useAzureMonitor } from '@azure/monitor-opentelemetry';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otlpExporters, type OtlpProtocol } from './otlp-exporters';
import { RootSpanSummary } from './root-span-summary';

export interface TelemetryOptions {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING: Azure Monitor through its OpenTelemetry distro. */
  connectionString?: string;
  /**
   * Where the Azure Monitor exporter keeps batches ingestion did not accept (unreachable, 5xx, 429),
   * resent once it answers again; unset: offline storage is off and such batches are lost.
   */
  storageDirectory?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, used when Azure Monitor is not configured. */
  otlpEndpoint?: string;
  /** OTEL_EXPORTER_OTLP_PROTOCOL (default http/protobuf). */
  otlpProtocol?: OtlpProtocol;
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
        // Audit records must survive an ingestion outage: the exporter keeps failed batches on disk
        // (2 days at most, 50 MB) and resends them once ingestion answers.
        disableOfflineStorage: options.storageDirectory === undefined,
        ...(options.storageDirectory !== undefined && { storageDirectory: options.storageDirectory }),
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
  const otlp =
    options.otlpEndpoint === undefined
      ? undefined
      : otlpExporters(options.otlpEndpoint, options.otlpProtocol ?? 'http/protobuf');
  const sdk =
    otlp !== undefined
      ? new NodeSDK({
          resource,
          spanProcessors: [new BatchSpanProcessor(otlp.traces)],
          metricReaders: [
            new PeriodicExportingMetricReader({
              exporter: otlp.metrics,
              exportIntervalMillis: options.metricIntervalMs ?? 60_000,
            }),
          ],
          logRecordProcessors: [new BatchLogRecordProcessor(otlp.logs)],
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
