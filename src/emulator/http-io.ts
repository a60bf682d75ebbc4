import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { jsonSender } from '../http';
import { KvError, badParameter } from './errors';

/** Key Vault refuses request bodies over about 1 MB; reading stops there so nobody can fill memory. */
const MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(): KvError {
  return new KvError(
    413,
    'RequestEntityTooLarge',
    `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
    {
      connection: 'close',
    },
  );
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        // Stop reading; the 413 answer closes the connection so the rest is never buffered.
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}

/** Parses a JSON body after checking it was declared as JSON, as the service does. */
export function parseJsonBody(req: IncomingMessage, raw: Buffer): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw badParameter(`Content-Type must be application/json, got ${(type ?? '').slice(0, 100) || 'none'}.`);
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
}

/** Key Vault's answers: a request id on each, as the service sends; no body is an empty one. */
export const sendJson = jsonSender(
  (body) => (body === undefined ? '' : JSON.stringify(body)),
  () => ({
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-keyvault-service-version': 'emulator',
  }),
);

export function sendError(res: ServerResponse, error: KvError, extra: Record<string, string> = {}): void {
  sendJson(res, error.status, error.body(), { ...error.headers, ...extra });
}
