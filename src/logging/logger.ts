import pino, { type Logger, type DestinationStream } from 'pino';
import { CENSOR, maskText, redactValue, serializeError } from './redact';

export type { Logger };

/**
 * Pino's own redaction at the paths where credentials travel, as the fast first line. The second,
 * structural line (src/logging/redact.ts) walks every log object at any depth: the code never logs
 * values, and this catches the day someone passes one by mistake, nested, capitalised, in an error's
 * cause or inside a URL.
 */
const REDACTED_PATHS = [
  'value',
  '*.value',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
  'token',
  '*.token',
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  'headers.Cookie',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  '*.headers.Cookie',
  'request.headers.authorization',
  'request.headers.Authorization',
  'response.headers["set-cookie"]',
];

export function createLogger(
  options: { level: string; name?: string },
  destination?: DestinationStream,
): Logger {
  const logger = pino(
    {
      name: options.name ?? 'rotator',
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError, error: serializeError },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      hooks: {
        // The message string too: a URL with a password pasted into a message is masked.
        logMethod(args, method) {
          const masked = args.map((arg: unknown) => (typeof arg === 'string' ? maskText(arg) : arg));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
  // Child bindings bypass formatters.log; children inherit this `child` through their prototype, so
  // bindings at every level go through the same walk.
  type ChildFn = (this: unknown, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => unknown;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each child's own `this`
  const child = logger.child as unknown as ChildFn;
  const safeChild: ChildFn = function (this: unknown, bindings, options) {
    return child.call(this, redactValue(bindings) as pino.Bindings, options);
  };
  logger.child = safeChild as unknown as Logger['child'];
  return logger;
}
