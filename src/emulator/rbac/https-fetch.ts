import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

/** Discovery documents and key sets are small; anything bigger is not an OpenID provider. */
const MAX_BYTES = 256 * 1024;

/**
 * A fetch for the issuer's discovery document and JWKS that trusts the public roots plus the rbac
 * file's CA (NODE_EXTRA_CA_CERTS still applies when there is none): the global fetch takes no CA.
 */
export function fetchTrusting(caPem: string | undefined) {
  const ca = caPem === undefined ? undefined : [...rootCertificates, caPem];
  return (url: string, init: { signal?: AbortSignal; headers?: Headers } = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`${url}: the issuer's documents must be served over https`));
        return;
      }
      const req = request(
        target,
        {
          method: 'GET',
          ...(ca !== undefined && { ca }),
          headers: { accept: 'application/json' },
          signal: init.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BYTES) req.destroy(new Error(`${url}: answer larger than ${MAX_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 500,
                headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') },
              }),
            ),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
}
