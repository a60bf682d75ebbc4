import { SSL_MODES, type SslMode } from '../../policy';

/**
 * Where the admin connection points. The password is kept apart from everything printable so that
 * no message built from an endpoint can ever carry it.
 */
export interface PgEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  /** libpq's sslmode as the string names it; `verify-full` when it names none. */
  sslmode: SslMode;
  /** libpq's sslrootcert: a PEM file of the CAs to trust instead of the system's. */
  sslrootcert: string | undefined;
}

/** Thrown for a string we cannot read; its message names the problem, never the string itself. */
export class ConnectionStringError extends Error {
  override readonly name = 'ConnectionStringError';
}

const DEFAULT_PORT = 5432;

/**
 * Reads a libpq connection string in either of its two forms:
 * `postgres://user:password@host:port/db?sslmode=require` or `host=… port=… dbname=… user=… password=…`.
 */
export function parseConnectionString(text: string): PgEndpoint {
  const trimmed = text.trim();
  if (trimmed === '') throw new ConnectionStringError('the connection string is empty');
  const fields = /^postgres(ql)?:\/\//i.test(trimmed) ? fromUrl(trimmed) : fromKeywords(trimmed);
  return toEndpoint(fields);
}

/** `host:port/db`, what errors and verify outcomes name: never the user's password. */
export function describeEndpoint(endpoint: Pick<PgEndpoint, 'host' | 'port' | 'database'>): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}/${endpoint.database}`;
}

function fromUrl(text: string): Map<string, string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectionStringError('the connection string is not a valid postgres:// URL');
  }
  const fields = new Map<string, string>();
  const put = (key: string, raw: string): void => {
    if (raw === '') return;
    try {
      fields.set(key, decodeURIComponent(raw));
    } catch {
      throw new ConnectionStringError(`the ${key} of the connection string is badly percent-encoded`);
    }
  };
  put('host', url.hostname.replace(/^\[(.*)\]$/, '$1'));
  put('port', url.port);
  put('user', url.username);
  put('password', url.password);
  put('dbname', url.pathname.replace(/^\//, ''));
  for (const [key, value] of url.searchParams) fields.set(key, value);
  return fields;
}

/** libpq's keyword form: `key=value` pairs, values optionally single-quoted with `\` escapes. */
function fromKeywords(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text.charAt(i))) i += 1;
  };
  while (true) {
    skipSpace();
    if (i >= text.length) break;
    const keyStart = i;
    while (i < text.length && /[A-Za-z_]/.test(text.charAt(i))) i += 1;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (key === '' || text.charAt(i) !== '=') {
      throw new ConnectionStringError(
        'the connection string is neither a postgres:// URL nor key=value pairs',
      );
    }
    i += 1;
    skipSpace();
    let value = '';
    if (text.charAt(i) === "'") {
      i += 1;
      while (i < text.length && text.charAt(i) !== "'") {
        if (text.charAt(i) === '\\') i += 1;
        value += text.charAt(i);
        i += 1;
      }
      if (i >= text.length) throw new ConnectionStringError(`the value of ${key} has no closing quote`);
      i += 1;
    } else {
      while (i < text.length && !/\s/.test(text.charAt(i))) {
        if (text.charAt(i) === '\\') i += 1;
        value += text.charAt(i);
        i += 1;
      }
    }
    fields.set(key.toLowerCase(), value);
  }
  return fields;
}

function toEndpoint(fields: Map<string, string>): PgEndpoint {
  const host = fields.get('host') ?? fields.get('hostaddr');
  if (host === undefined || host === '')
    throw new ConnectionStringError('the connection string names no host');
  if (host.startsWith('/')) {
    throw new ConnectionStringError(
      'the connection string names a Unix socket; the rotator needs a TCP host',
    );
  }
  const user = fields.get('user');
  if (user === undefined || user === '')
    throw new ConnectionStringError('the connection string names no user');
  const portText = fields.get('port') ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new ConnectionStringError(`the port '${portText}' of the connection string is not a TCP port`);
  }
  return {
    host,
    port,
    database: fields.get('dbname') || fields.get('database') || user,
    user,
    password: fields.get('password'),
    sslmode: sslMode(fields.get('sslmode')),
    sslrootcert: fields.get('sslrootcert') || undefined,
  };
}

/** Unlike libpq (whose default is `prefer`), no sslmode means `verify-full`: TLS is the default. */
function sslMode(mode: string | undefined): SslMode {
  if (mode === undefined || mode === '') return 'verify-full';
  const known = SSL_MODES.find((m) => m === mode);
  if (known === undefined) throw new ConnectionStringError(`sslmode '${mode}' is not one libpq knows`);
  return known;
}
