import { decodeJwt } from 'jose';

/** The claims Key Vault's audit log keeps about a caller (v1 tokens: upn/unique_name/appid; v2: preferred_username/azp). */
export const RECORDED_CLAIMS = [
  'oid',
  'upn',
  'appid',
  'preferred_username',
  'azp',
  'tid',
  'unique_name',
] as const;

export type RecordedClaim = (typeof RECORDED_CLAIMS)[number];
export type CallerClaims = Partial<Record<RecordedClaim, string>>;

/**
 * The long claim names the service also writes into `Identity.claim` (its logs carry both spellings),
 * so queries written against either form find the caller.
 */
const LONG_NAMES: Partial<Record<RecordedClaim, string>> = {
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
};

/**
 * Decodes a JWT's payload WITHOUT checking its signature and keeps only the identity claims: this is
 * what the request log records. Opaque tokens (ROTATOR_VAULT_TOKEN) and garbage give no claims.
 */
export function decodeCallerClaims(token: string | undefined): CallerClaims {
  if (token === undefined || token.split('.').length !== 3) return {};
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch {
    return {};
  }
  return pickClaims(payload);
}

export function pickClaims(payload: Record<string, unknown>): CallerClaims {
  const claims: CallerClaims = {};
  for (const name of RECORDED_CLAIMS) {
    const value = payload[name];
    // Bounded: a hostile token must not make the in-memory log hold megabytes per row.
    if (typeof value === 'string' && value.length <= 512) claims[name] = value;
  }
  return claims;
}

/** `Identity` as the AZKVAuditLogs table holds it: `{"claim": {...}}`, short and long claim names. */
export function identityColumn(claims: CallerClaims): { claim: Record<string, string> } {
  const claim: Record<string, string> = {};
  for (const name of RECORDED_CLAIMS) {
    const value = claims[name];
    if (value === undefined) continue;
    claim[name] = value;
    const long = LONG_NAMES[name];
    if (long !== undefined) claim[long] = value;
  }
  return { claim };
}
