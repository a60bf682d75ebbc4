import { maskUrlCredentials } from '../config/url-credentials';

/**
 * Redaction by structure, not by a list of top-level names: every key at any depth whose name says
 * "credential" is censored (case-insensitive, so `Authorization` as much as `authorization`), errors
 * become plain objects with their `cause` chain walked, and credentials inside URLs are masked
 * wherever a string holds one.
 */
export const CENSOR = '[redacted]';

/** Key names (lower-cased, without `-`/`_`) whose values are credentials wherever they appear. */
const SENSITIVE_KEYS = new Set(['value', 'newvalue', 'pwd', 'sig', 'cookie', 'setcookie']);
/** Endings that make any key a credential: `X-Api-Key`, `client_secret`, `refreshToken`, `Proxy-Authorization`. */
const SENSITIVE_ENDINGS = [
  'password',
  'passwd',
  'token',
  'apikey',
  'secret',
  'secrettext',
  'authorization',
  'connectionstring',
  'accountkey',
  'accesskey',
  'sharedaccesskey',
  'primarykey',
  'secondarykey',
];

// `secret` alone is not a credential: our logs, jobs and audit records use it for the secret's *name*.
function isSensitive(key: string): boolean {
  const name = key.toLowerCase().replace(/[-_]/g, '');
  if (name === 'secret') return false;
  return SENSITIVE_KEYS.has(name) || SENSITIVE_ENDINGS.some((ending) => name.endsWith(ending));
}

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*@[^\s"'<>]*/gi;
const KEYWORD_PASSWORD = /\b(password|pwd|accountkey|sharedaccesskey|sig)=('[^']*'|[^\s;&]*)/gi;

/** Masks credentials inside free text: userinfo of URLs, `password=…` pairs of connection strings. */
export function maskText(text: string): string {
  return text
    .replace(URL_IN_TEXT, (url) => maskUrlCredentials(url))
    .replace(KEYWORD_PASSWORD, (_m, key: string) => `${key}=${CENSOR}`);
}

/** An error as a plain object: type, code, message, hint, stack, and its cause chain (bounded). */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return redactValue(error, 1, depth);
  const fields = error as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: error.name, message: maskText(error.message) };
  for (const key of ['code', 'hint', 'statusCode', 'permanent', 'sqlState']) {
    if (fields[key] !== undefined) out[key] = redactValue(fields[key], 1, depth + 1);
  }
  if (error.stack !== undefined) out.stack = maskText(error.stack);
  if (error.cause !== undefined)
    out.cause = depth >= 8 ? '[cause chain cut]' : serializeError(error.cause, depth + 1);
  if (error instanceof AggregateError)
    out.errors = error.errors.slice(0, 10).map((e) => serializeError(e, depth + 1));
  return out;
}

/** A deep copy with every credential-shaped field censored; cycles and depth are bounded. */
export function redactValue(value: unknown, depth = 0, nesting = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (nesting > 12) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return serializeError(value, nesting);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, nesting + 1, seen));
  if (value instanceof Date) return value;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [rawKey, v] of entries) {
    const key = String(rawKey);
    out[key] =
      isSensitive(key) && v !== undefined && v !== null
        ? CENSOR
        : redactValue(v, depth + 1, nesting + 1, seen);
  }
  return out;
}
