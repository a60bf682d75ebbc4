import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonSender } from '../http';

/** The API's answer to anything it refuses: `{"error":{"code","message"}}`, never a value. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads a JSON body of at most `limit` bytes; an empty body is `{}`. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new ApiError(413, 'BODY_TOO_LARGE', `the body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 'BODY_TOO_LARGE', `the body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'BODY_MALFORMED', 'the body is not valid JSON');
  }
}

/** The API's answers: one JSON line, never cached (a body may hold a secret value). */
export const sendJson = jsonSender(
  (body) => `${JSON.stringify(body)}\n`,
  () => ({ 'cache-control': 'no-store' }),
);

export function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
}
