import type { ServerResponse } from 'node:http';

export type SendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
) => void;

/**
 * One server's way of answering in JSON: how it writes a body and the headers every answer carries
 * (the access API and the emulator differ in both). A response already on its way is left alone.
 */
export function jsonSender(
  serialize: (body: unknown) => string,
  commonHeaders: () => Record<string, string>,
): SendJson {
  return (res, status, body, headers = {}) => {
    if (res.headersSent) return;
    const text = serialize(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...commonHeaders(),
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
}
