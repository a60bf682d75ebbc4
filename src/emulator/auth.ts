import type { IncomingMessage } from 'node:http';
import { KvError } from './errors';

/** Quoted values: the SDK's challenge parser expects them exactly like this. */
export const CHALLENGE =
  'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"';

/** The bearer token of a request, or undefined when there is none. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * The SDK's first request carries no token (and no body) and only a 401 challenge makes it resend
 * with one; answering that first request with anything else would silently drop the write.
 */
export function checkAuth(req: IncomingMessage, requiredToken: string | undefined): void {
  const token = bearerToken(req);
  if (!token) {
    throw new KvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
      'www-authenticate': CHALLENGE,
    });
  }
  if (requiredToken !== undefined && token !== requiredToken) {
    throw new KvError(401, 'Unauthorized', 'AKV10032: Invalid issuer or token.', {
      'www-authenticate': CHALLENGE,
    });
  }
}
