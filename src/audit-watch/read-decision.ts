import { createHash } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { AuditRow } from './audit-row';

/**
 * What decides whether one audit row is a use: pure, no I/O. A row is first located (which vault,
 * which secret, who), then judged against the secret's tags and the rotator's own identity.
 */

/** Who read, from the row's token claims. Long claim URIs appear in some rows instead of short names. */
export interface Actor {
  objectId: string | undefined;
  appId: string | undefined;
  name: string | undefined;
  /** A user's token (it names a user): its appid is the client application, not the reader. */
  delegated: boolean;
}

export interface LocatedRead {
  at: DateTime;
  vaultUrl: string;
  secret: string;
  operation: string;
  correlationId: string;
  actor: Actor;
  /** Equal for duplicate rows of one read (same request id, object, operation and caller). */
  key: string;
}

export type Located = { kind: 'read'; read: LocatedRead } | { kind: 'ignored'; why: IgnoredWhy };
export type IgnoredWhy = 'no-time' | 'other-vault' | 'not-a-secret';

/** What the watcher knows of the secret a row addresses (from its latest version's tags). */
export interface SecretFacts {
  exists: boolean;
  managed: boolean;
  /** Object ids and application ids of its routine readers (`rotation-readers`). */
  readers: readonly string[];
}

/** The rotator's own identity: its object id and application id, when its token tells them. */
export interface SelfIdentity {
  objectIds: readonly string[];
  appIds: readonly string[];
}

export type Judgement =
  | { kind: 'use'; read: LocatedRead }
  | { kind: 'routine'; why: 'rotator' | 'reader' }
  | { kind: 'ignored'; why: 'unknown-secret' | 'unmanaged' };

export const UNKNOWN_ACTOR = 'unknown (no identity claims in the audit row)';

const OID_CLAIMS = ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'];
const APPID_CLAIMS = ['appid', 'azp'];
const NAME_CLAIMS = [
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'unique_name',
  'preferred_username',
  'name',
];

function claimsOf(identity: unknown): Record<string, unknown> {
  if (typeof identity !== 'object' || identity === null) return {};
  const claim = (identity as Record<string, unknown>).claim;
  return typeof claim === 'object' && claim !== null ? (claim as Record<string, unknown>) : {};
}

function firstClaim(claims: Record<string, unknown>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 256);
  }
  return undefined;
}

export function actorOf(identity: unknown): Actor {
  const claims = claimsOf(identity);
  return {
    objectId: firstClaim(claims, OID_CLAIMS)?.toLowerCase(),
    appId: firstClaim(claims, APPID_CLAIMS)?.toLowerCase(),
    name: firstClaim(claims, NAME_CLAIMS),
    delegated: firstClaim(claims, NAME_CLAIMS.slice(0, 3)) !== undefined,
  };
}

/** How an actor is written in audit records and job data: name and ids, never free text from a user. */
export function describeActor(actor: Actor): string {
  const ids = [actor.objectId && `oid ${actor.objectId}`, actor.appId && `appid ${actor.appId}`].filter(
    (s): s is string => typeof s === 'string',
  );
  if (actor.name === undefined && ids.length === 0) return UNKNOWN_ACTOR;
  return [actor.name, ids.length === 0 ? undefined : `(${ids.join(', ')})`].filter(Boolean).join(' ');
}

// Secrets and their deleted form (a backup or get may name either path in RequestUri).
const SECRET_PATH = /^\/(?:deleted)?secrets\/([0-9a-zA-Z-]{1,127})(?:\/|$)/i;

/** The secret a URI addresses, when it belongs to one of our vaults (compared case-insensitively). */
function secretIn(uri: string, vaultUrls: readonly string[]): { vaultUrl: string; secret: string } | 'other' {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return 'other';
  }
  const origin = parsed.origin.toLowerCase();
  const vaultUrl = vaultUrls.find((v) => new URL(v).origin.toLowerCase() === origin);
  if (vaultUrl === undefined) return 'other';
  const match = SECRET_PATH.exec(parsed.pathname);
  return match?.[1] === undefined ? 'other' : { vaultUrl, secret: match[1] };
}

export function rowKey(row: AuditRow, actor: Actor): string {
  // Without a request id only the instant tells two reads apart; with one, retries and re-ingested
  // duplicates of one request share it. The object id (versioned) keeps a reused request id from
  // hiding a read of a newer version.
  const parts = [row.correlationId.toLowerCase(), row.id.toLowerCase(), row.operation, actor.objectId ?? ''];
  if (row.correlationId === '') parts.push(row.time?.toMillis().toString() ?? '', row.callerIp);
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/** Which vault and secret a row addresses, and who read it. */
export function locate(row: AuditRow, vaultUrls: readonly string[]): Located {
  if (row.time === undefined) return { kind: 'ignored', why: 'no-time' };
  const target = [row.id, row.requestUri]
    .filter((uri) => uri !== '')
    .map((uri) => secretIn(uri, vaultUrls))
    .find((t) => t !== 'other');
  if (target === undefined) {
    const ours = [row.id, row.requestUri].some((uri) => vaultUrls.some((v) => sameOrigin(uri, v)));
    return { kind: 'ignored', why: ours ? 'not-a-secret' : 'other-vault' };
  }
  const actor = actorOf(row.identity);
  return {
    kind: 'read',
    read: {
      at: row.time,
      ...target,
      operation: row.operation,
      correlationId: row.correlationId,
      actor,
      key: rowKey(row, actor),
    },
  };
}

function sameOrigin(uri: string, vaultUrl: string): boolean {
  try {
    return new URL(uri).origin.toLowerCase() === new URL(vaultUrl).origin.toLowerCase();
  } catch {
    return false;
  }
}

/** The `rotation-readers` tag: comma-separated object ids or application ids. */
export function parseReaders(tag: string | undefined): string[] {
  if (tag === undefined) return [];
  return tag
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/**
 * A read is routine when the rotator made it (its request id mark and its identity, both: anyone can
 * send the mark) or when a listed reader made it; a read of a secret that no longer exists or is not
 * managed changes nothing. Everyone else's read is a use — including a read whose row has no claims.
 */
export function judge(
  read: LocatedRead,
  facts: SecretFacts,
  self: SelfIdentity,
  isRotatorRequestId: (id: string) => boolean,
): Judgement {
  if (!facts.exists) return { kind: 'ignored', why: 'unknown-secret' };
  if (!facts.managed) return { kind: 'ignored', why: 'unmanaged' };
  const { objectId, appId } = read.actor;
  const selfKnown = self.objectIds.length > 0 || self.appIds.length > 0;
  const isSelf =
    (objectId !== undefined && self.objectIds.includes(objectId)) ||
    (appId !== undefined && self.appIds.includes(appId));
  // Without a known identity of its own (a token that is not a JWT), the mark alone must do.
  if (isRotatorRequestId(read.correlationId) && (isSelf || !selfKnown))
    return { kind: 'routine', why: 'rotator' };
  const readers = facts.readers;
  // An application id stands for a workload only in its own (app-only) token: in a user's token it
  // names the tool the user ran (Azure CLI, the portal), which must never make the user routine.
  const appReader = appId !== undefined && !read.actor.delegated && readers.includes(appId);
  if ((objectId !== undefined && readers.includes(objectId)) || appReader)
    return { kind: 'routine', why: 'reader' };
  return { kind: 'use', read };
}
