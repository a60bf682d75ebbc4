import type { Config } from '../config';
import type { TelemetryOptions } from './setup';

const SERVICE_VERSION = '0.1.0';

/** The daemon's telemetry, chosen by configuration: Azure Monitor, else OTLP, else a quiet console. */
export function telemetryOptions(
  config: Pick<Config, 'appInsightsConnectionString' | 'otlpEndpoint'>,
): TelemetryOptions {
  return {
    connectionString: config.appInsightsConnectionString,
    otlpEndpoint: config.otlpEndpoint,
    serviceName: 'rotator',
    serviceVersion: SERVICE_VERSION,
    console: 'quiet',
  };
}
