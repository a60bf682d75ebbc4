import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtlpProtocol } from './otlp-exporters';
import { isPlatformCall } from './platform-calls';
import { startProviders } from './providers';
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

/** The six OTLP exporters (~25 MB loaded), only when an OTLP endpoint is configured. */
function otlpModule(): typeof import('./otlp-exporters') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load that must stay synchronous
  return require('./otlp-exporters') as typeof import('./otlp-exporters');
}

/**
 * The Azure Monitor distro, loaded only when a connection string is configured: it and the
 * instrumentations it brings are ~70 MB of a daemon's memory that a daemon exporting OTLP, or
 * nothing, never uses. Synchronous on purpose: it must patch modules before the rest loads.
 */
function azureMonitor(): typeof import('@azure/monitor-opentelemetry') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load that must stay synchronous
  return require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
}

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
    const { useAzureMonitor, shutdownAzureMonitor } = azureMonitor();
    // The distro's http option is typed as the base config; the HTTP instrumentation reads the hook.
    const http = { enabled: true, ignoreOutgoingRequestHook: isPlatformCall };
    useAzureMonitor({
      instrumentationOptions: { http },
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
      : otlpModule().otlpExporters(options.otlpEndpoint, options.otlpProtocol ?? 'http/protobuf');
  const providers =
    otlp !== undefined
      ? startProviders(resource, {
          spanProcessors: [new BatchSpanProcessor(otlp.traces)],
          metricReaders: [
            new PeriodicExportingMetricReader({
              exporter: otlp.metrics,
              exportIntervalMillis: options.metricIntervalMs ?? 60_000,
            }),
          ],
          logRecordProcessors: [new BatchLogRecordProcessor(otlp.logs)],
        })
      : startProviders(resource, {
          spanProcessors: options.console === 'quiet' ? [new RootSpanSummary(process.stderr)] : [],
          // No exporter: nothing is sent anywhere (NodeSDK, given none, fell back to OTLP at
          // 127.0.0.1:4318 and spent ~8 s of retries on each stop, found by npm run bench).
          metricReaders: [],
          logRecordProcessors: [],
        });
  running = {
    mode: options.otlpEndpoint !== undefined ? 'otlp' : 'console',
    shutdown: () => providers.shutdown(),
  };
  return running;
}
