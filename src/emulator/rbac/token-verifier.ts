import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { CHALLENGE } from '../auth';
import { KvError } from '../errors';
import { fetchTrusting } from './https-fetch';
import type { RbacPolicy } from './rbac-file';

/** Entra and Key Vault tolerate five minutes of clock skew on exp/nbf. */
const CLOCK_SKEW_S = 300;

function unauthorized(message: string): KvError {
  return new KvError(401, 'Unauthorized', message, { 'www-authenticate': CHALLENGE });
}

/** Turns jose's typed failures into Key Vault's 401 messages; never echoes the token. */
function refusal(err: unknown): KvError {
  if (err instanceof errors.JWTExpired) return unauthorized('AKV10013: The access token has expired.');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return unauthorized('AKV10022: Invalid audience.');
    if (err.claim === 'iss') return unauthorized('AKV10032: Invalid issuer.');
    if (err.claim === 'nbf') return unauthorized('AKV10013: The access token is not yet valid.');
    return unauthorized(`AKV10000: The access token's ${err.claim} claim is invalid.`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized('AKV10031: The access token signature is invalid.');
  if (err instanceof errors.JWKSNoMatchingKey)
    return unauthorized('AKV10031: The access token was signed by an unknown key.');
  if (err instanceof errors.JOSEError) return unauthorized('AKV10000: The access token is malformed.');
  // The issuer could not be reached: the service would not know the keys either.
  return unauthorized("AKV10032: The token issuer's signing keys could not be fetched.");
}

export interface TokenVerifier {
  /** The verified payload, or a KvError 401 in Key Vault's form. */
  verify(token: string): Promise<JWTPayload>;
}

/**
 * Verifies bearer tokens as Key Vault verifies Entra's: RS256 only, signature with the keys the issuer
 * publishes (discovery → jwks_uri, cached, refetched on an unknown kid), issuer, audience, exp and nbf.
 */
export function createTokenVerifier(policy: RbacPolicy): TokenVerifier {
  const fetcher = fetchTrusting(policy.caPem);
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  async function discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const discovery = `${policy.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetcher(discovery, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`${discovery} answered ${res.status}`);
    const doc = (await res.json()) as { jwks_uri?: unknown };
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${discovery} names no jwks_uri`);
    return createRemoteJWKSet(new URL(doc.jwks_uri), { [customFetch]: fetcher });
  }

  return {
    async verify(token) {
      // A failed discovery is retried by the next request rather than remembered forever.
      keys ??= discover().catch((err: unknown) => {
        keys = undefined;
        throw err;
      });
      try {
        const jwks = await keys;
        const { payload } = await jwtVerify(token, jwks, {
          issuer: policy.issuers,
          audience: policy.audiences,
          algorithms: ['RS256'],
          clockTolerance: CLOCK_SKEW_S,
          requiredClaims: ['exp'],
        });
        return payload;
      } catch (err) {
        throw refusal(err);
      }
    },
  };
}
