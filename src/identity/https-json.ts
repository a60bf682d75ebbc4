import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Small bounded GETs of JSON (discovery documents, key sets), trusting an extra CA when given. */
export function getText(
  url: string,
  options: { ca?: string; timeoutMs?: number; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'GET',
        headers: { accept: 'application/json', ...options.headers },
        ...(options.ca !== undefined && { ca: options.ca }),
        timeout: options.timeoutMs ?? 5_000,
        signal: options.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // A key set or a discovery document is a few KB; anything huge is not one.
          if (size > 1_000_000) req.destroy(new Error(`${target.origin} sent more than 1 MB`));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${target.origin} did not answer in time`)));
    req.on('error', reject);
    req.end();
  });
}
