import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface BoundedGetOptions {
  /** Trusted CA(s); unset: the default roots (and NODE_EXTRA_CA_CERTS). */
  ca?: string | string[];
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Unset: no timeout of its own (the caller's signal bounds it). */
  timeoutMs?: number;
  /** The answer is refused past this size, so a wrong server cannot fill memory. */
  maxBytes: number;
  /** The error message when it is. */
  tooLarge: string;
}

export interface BoundedAnswer {
  status: number | undefined;
  contentType: string | undefined;
  body: Buffer;
}

/** One small GET of JSON (discovery documents, key sets) over http or https, its size bounded. */
export function getBounded(target: URL, options: BoundedGetOptions): Promise<BoundedAnswer> {
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'GET',
        headers: { accept: 'application/json', ...options.headers },
        ...(options.ca !== undefined && { ca: options.ca }),
        ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
        signal: options.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) req.destroy(new Error(options.tooLarge));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const type = res.headers['content-type'];
          resolve({ status: res.statusCode, contentType: type, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${target.origin} did not answer in time`)));
    req.on('error', reject);
    req.end();
  });
}
