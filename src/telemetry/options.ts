import type { Config } from '../config';
import type { TelemetryOptions } from './setup';

const SERVICE_VERSION = '0.1.0';

/** The daemon's telemetry, chosen by configuration: Azure Monitor, else OTLP, else a quiet console. */
export function telemetryOptions(
  config: Pick<
    Config,
    'appInsightsConnectionString' | 'otlpEndpoint' | 'otlpProtocol' | 'telemetryStorageDir'
  >,
): TelemetryOptions {
  return {
    connectionString: config.appInsightsConnectionString,
    storageDirectory: config.telemetryStorageDir,
    otlpEndpoint: config.otlpEndpoint,
    otlpProtocol: config.otlpProtocol,
    serviceName: 'rotator',
    serviceVersion: SERVICE_VERSION,
    console: 'quiet',
  };
}
