import { rootCertificates } from 'node:tls';
import { getBounded } from '../../http';

/** Discovery documents and key sets are small; anything bigger is not an OpenID provider. */
const MAX_BYTES = 256 * 1024;

/**
 * A fetch for the issuer's discovery document and JWKS that trusts the public roots plus the rbac
 * file's CA (NODE_EXTRA_CA_CERTS still applies when there is none): the global fetch takes no CA.
 */
export function fetchTrusting(caPem: string | undefined) {
  const ca = caPem === undefined ? undefined : [...rootCertificates, caPem];
  return async (url: string, init: { signal?: AbortSignal; headers?: Headers } = {}): Promise<Response> => {
    const target = new URL(url);
    if (target.protocol !== 'https:')
      throw new Error(`${url}: the issuer's documents must be served over https`);
    const answer = await getBounded(target, {
      ca,
      signal: init.signal,
      maxBytes: MAX_BYTES,
      tooLarge: `${url}: answer larger than ${MAX_BYTES} bytes`,
    });
    return new Response(answer.body, {
      status: answer.status ?? 500,
      headers: { 'content-type': answer.contentType ?? 'application/json' },
    });
  };
}
