import { KvError, badParameter } from './errors';
import { validateName, validateVersion } from './validation';

export type Route =
  | { op: 'setSecret'; name: string }
  | { op: 'getSecret'; name: string; version?: string }
  | { op: 'updateSecret'; name: string; version?: string }
  | { op: 'getSecrets' }
  | { op: 'getSecretVersions'; name: string }
  | { op: 'deleteSecret'; name: string }
  | { op: 'getDeletedSecrets' }
  | { op: 'getDeletedSecret'; name: string }
  | { op: 'recoverDeletedSecret'; name: string }
  | { op: 'purgeDeletedSecret'; name: string }
  | { op: 'backupSecret'; name: string }
  | { op: 'restoreSecret' };

interface RequestTarget {
  /** Decoded path segments without the leading empty one; a trailing slash leaves a final "". */
  segments: string[];
  query: URLSearchParams;
}

// Encoded separators, dot segments and NULs: a vault path never needs them, and letting them through
// would make "/secrets/a%2F..%2Fb" mean something different here than on the service.
const FORBIDDEN_RAW = /%2f|%5c|%00|%2e|\\/i;

export function parseTarget(rawUrl: string | undefined): RequestTarget {
  const raw = rawUrl ?? '/';
  if (!raw.startsWith('/') || raw.length > 4096) throw badParameter('The request URI is invalid.');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  if (FORBIDDEN_RAW.test(path)) throw badParameter('The request URI contains invalid characters.');
  const segments = path.slice(1).split('/');
  const decoded = segments.map((s, i) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw badParameter('The request URI is not valid percent-encoding.');
    }
    if (d === '.' || d === '..') throw badParameter('The request URI contains a dot segment.');
    // Empty segments inside the path ("//") are as suspicious as dot segments; only a final one is normal.
    if (d === '' && i < segments.length - 1) throw badParameter('The request URI contains an empty segment.');
    return d;
  });
  return { segments: decoded, query };
}

function name(segment: string | undefined): string {
  const n = segment ?? '';
  validateName(n);
  return n;
}

function version(segment: string | undefined): string | undefined {
  if (segment === undefined || segment === '') return undefined;
  validateVersion(segment);
  return segment.toLowerCase();
}

function notAllowed(method: string): KvError {
  return new KvError(
    405,
    'MethodNotAllowed',
    `The requested method ${method} is not allowed on this resource.`,
  );
}

function unknownPath(): KvError {
  return new KvError(404, 'NotFound', 'The requested resource does not exist on this vault.');
}

/** A route only `allowed` may take; any other method is refused as Key Vault refuses it. */
function only(method: string, allowed: string, found: Route): Route {
  if (method === allowed) return found;
  throw notAllowed(method);
}

/** The item segments below a collection (`/secrets`, `/deletedsecrets`); undefined for the collection itself. */
function itemSegments(s: string[]): [string, string | undefined] | undefined {
  const [, first, second, ...rest] = s;
  if (rest.length > 0) throw unknownPath();
  return first === undefined || first === '' ? undefined : [first, second];
}

function secretsRoute(method: string, s: string[]): Route {
  const item = itemSegments(s);
  if (item === undefined) return only(method, 'GET', { op: 'getSecrets' });
  const [first, second] = item;
  if (second === undefined && first.toLowerCase() === 'restore' && method === 'POST')
    return { op: 'restoreSecret' };
  const n = name(first);
  const sub = second?.toLowerCase();
  if (sub === 'versions') return only(method, 'GET', { op: 'getSecretVersions', name: n });
  if (sub === 'backup') return only(method, 'POST', { op: 'backupSecret', name: n });
  switch (method) {
    case 'PUT':
      if (second === undefined) return { op: 'setSecret', name: n };
      throw notAllowed(method);
    case 'DELETE':
      if (second === undefined) return { op: 'deleteSecret', name: n };
      throw notAllowed(method);
    case 'GET': {
      const v = version(second);
      return v ? { op: 'getSecret', name: n, version: v } : { op: 'getSecret', name: n };
    }
    case 'PATCH': {
      const v = version(second);
      return v ? { op: 'updateSecret', name: n, version: v } : { op: 'updateSecret', name: n };
    }
    default:
      throw notAllowed(method);
  }
}

function deletedRoute(method: string, s: string[]): Route {
  const item = itemSegments(s);
  if (item === undefined) return only(method, 'GET', { op: 'getDeletedSecrets' });
  const [first, second] = item;
  const n = name(first);
  if (second !== undefined && second !== '') {
    if (second.toLowerCase() !== 'recover') throw unknownPath();
    return only(method, 'POST', { op: 'recoverDeletedSecret', name: n });
  }
  if (method === 'GET') return { op: 'getDeletedSecret', name: n };
  if (method === 'DELETE') return { op: 'purgeDeletedSecret', name: n };
  throw notAllowed(method);
}

export function route(method: string, segments: string[]): Route {
  const head = segments[0]?.toLowerCase();
  if (head === 'secrets') return secretsRoute(method, segments);
  if (head === 'deletedsecrets') return deletedRoute(method, segments);
  throw unknownPath();
}

/** Operations whose success changes state, so the state file is written before answering. */
export function isMutation(op: Route['op']): boolean {
  return [
    'setSecret',
    'updateSecret',
    'deleteSecret',
    'recoverDeletedSecret',
    'purgeDeletedSecret',
    'restoreSecret',
  ].includes(op);
}

export function needsBody(op: Route['op']): boolean {
  return op === 'setSecret' || op === 'updateSecret' || op === 'restoreSecret';
}
