import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Fields that could ever hold a credential are censored by name as a second
 * line of defence: the code never logs values, and this catches the day someone passes one by mistake.
 */
const REDACTED_PATHS = [
  'value',
  'secret.value',
  '*.value',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
];

export function createLogger(
  options: { level: string; name?: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'rotator',
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
