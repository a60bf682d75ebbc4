import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Identity } from '../access/identity';
import { getText } from './https-json';

export type TokenRefusalCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_AUDIENCE'
  | 'TOKEN_ISSUER'
  | 'TOKEN_ALGORITHM'
  | 'TOKEN_SIGNATURE'
  | 'TOKEN_UNKNOWN_KEY'
  | 'TOKEN_IDENTITY'
  | 'ISSUER_UNREACHABLE';

/** Why a token was not accepted; the API answers 401 (503 when the issuer's keys cannot be fetched). */
export interface TokenRefusal {
  refused: true;
  code: TokenRefusalCode;
  message: string;
}

export interface TokenVerifierOptions {
  /** The exact `iss` tokens carry; its `/.well-known/openid-configuration` names the key set. */
  issuer: string;
  audience: string | string[];
  /** An extra CA to trust for the issuer (the test issuer's). */
  ca?: string;
  /** How long after a key-set fetch an unknown `kid` may fetch again (jose's default 30 s). */
  cooldownMs?: number;
  clockToleranceSec?: number;
}

export interface TokenVerifier {
  /** Checks an `Authorization` header; routes get the identity or the refusal, never the token. */
  verify(authorization: string | undefined): Promise<Identity | TokenRefusal>;
}

/** Entra signs access tokens with RS256; nothing else (least of all `none`) is accepted. */
const ALGORITHMS = ['RS256'];

function refusal(code: TokenRefusalCode, message: string): TokenRefusal {
  return { refused: true, code, message };
}

export function isTokenRefusal(value: unknown): value is TokenRefusal {
  return typeof value === 'object' && value !== null && (value as { refused?: unknown }).refused === true;
}

/** Who the token says acted: `oid` with the person's UPN, or the workload's application id. */
export function identityFromClaims(claims: JWTPayload): Identity | TokenRefusal {
  const text = (key: string): string | undefined => {
    const value = claims[key];
    return typeof value === 'string' && value.trim() !== '' ? value.slice(0, 256) : undefined;
  };
  const oid = text('oid');
  const person = text('upn') ?? text('preferred_username') ?? text('unique_name');
  const workload = text('appid') ?? text('azp');
  const name = person ?? workload;
  if (oid === undefined || name === undefined)
    return refusal('TOKEN_IDENTITY', 'the token names no oid with a upn, preferred_username, appid or azp');
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is string => typeof r === 'string')
    : [];
  const app = text('idtyp') === 'app' || person === undefined;
  return { id: oid, name, kind: app ? 'app' : 'user', roles };
}

function classify(error: unknown): TokenRefusal {
  if (error instanceof errors.JWTExpired)
    return refusal('TOKEN_EXPIRED', 'the token has expired; get a new one');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return refusal('TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)');
    if (error.claim === 'aud') return refusal('TOKEN_AUDIENCE', 'the token is for another audience');
    if (error.claim === 'iss') return refusal('TOKEN_ISSUER', 'the token comes from another issuer');
    return refusal('TOKEN_MALFORMED', `the token's ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return refusal('TOKEN_ALGORITHM', 'the token is not signed with RS256');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return refusal('TOKEN_SIGNATURE', 'the token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey)
    return refusal('TOKEN_UNKNOWN_KEY', 'the token is signed by a key the issuer does not publish');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid)
    return refusal('ISSUER_UNREACHABLE', 'the issuer key set could not be fetched');
  if (error instanceof errors.JOSEError) return refusal('TOKEN_MALFORMED', 'the token is not a valid JWT');
  return refusal('ISSUER_UNREACHABLE', 'the issuer could not be reached to check the token');
}

/**
 * Verifies Entra access tokens against the issuer's OpenID configuration: signature with the keys its
 * `jwks_uri` publishes (cached, fetched again on an unknown `kid`), `iss`, `aud`, `exp`, `nbf`, RS256 only.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const fetchJson: Parameters<typeof createRemoteJWKSet>[1] = {
    cooldownDuration: options.cooldownMs ?? 30_000,
    [customFetch]: async (url, init) => {
      const { status, body } = await getText(url, { ca: options.ca, signal: init.signal });
      return new Response(body, { status, headers: { 'content-type': 'application/json' } });
    },
  };
  const keySet = (): Promise<ReturnType<typeof createRemoteJWKSet>> => {
    keys ??= (async () => {
      const discovery = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const { status, body } = await getText(discovery, { ca: options.ca });
      if (status !== 200) throw new Error(`${discovery} answered ${status}`);
      const document = JSON.parse(body) as { issuer?: unknown; jwks_uri?: unknown };
      if (document.issuer !== options.issuer || typeof document.jwks_uri !== 'string')
        throw new Error(`${discovery} names another issuer or no jwks_uri`);
      return createRemoteJWKSet(new URL(document.jwks_uri), fetchJson);
    })();
    // A failed discovery is tried again on the next call rather than cached.
    keys.catch(() => (keys = undefined));
    return keys;
  };
  return {
    async verify(authorization) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
      if (match?.[1] === undefined)
        return refusal('TOKEN_MISSING', 'send an Entra access token as Authorization: Bearer <token>');
      let resolve;
      try {
        resolve = await keySet();
      } catch {
        return refusal('ISSUER_UNREACHABLE', "the issuer's OpenID configuration could not be fetched");
      }
      try {
        const { payload } = await jwtVerify(match[1], resolve, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ALGORITHMS,
          clockTolerance: options.clockToleranceSec ?? 60,
          requiredClaims: ['exp', 'nbf', 'iat'],
        });
        return identityFromClaims(payload);
      } catch (error) {
        return classify(error);
      }
    },
  };
}
