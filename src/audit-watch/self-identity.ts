import type { TokenCredential } from '@azure/identity';
import type { SelfIdentity } from './read-decision';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The oid and appid claims of a JWT, read without verifying it: it is our own token, used to know ourselves. */
export function identityOfToken(token: string): SelfIdentity {
  const payload = token.split('.')[1];
  if (payload === undefined) return { objectIds: [], appIds: [] };
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { objectIds: [], appIds: [] };
  }
  const guid = (value: unknown): string[] =>
    typeof value === 'string' && GUID.test(value) ? [value.toLowerCase()] : [];
  return { objectIds: guid(claims.oid), appIds: [...guid(claims.appid), ...guid(claims.azp)] };
}

/**
 * Who the rotator is in the vault's audit log: the identity of the token it presents to Key Vault (a
 * managed identity's token names its oid and appid). Empty when the token is not a JWT.
 */
export async function discoverSelfIdentity(credential: TokenCredential): Promise<SelfIdentity> {
  const token = await credential.getToken('https://vault.azure.net/.default');
  return token === null ? { objectIds: [], appIds: [] } : identityOfToken(token.token);
}
