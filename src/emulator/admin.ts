import type { IncomingMessage, ServerResponse } from 'node:http';
import { KvError } from './errors';
import type { Counters } from './counters';
import type { FaultController } from './faults';
import { parseJsonBody, readBody, sendJson } from './http-io';

/**
 * Control endpoints under a prefix Key Vault never uses, so a test or a chaos run can turn faults
 * on and off from another process. No auth: the emulator only ever listens for local tests.
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
  faults: FaultController,
  counters: Counters,
): Promise<void> {
  const what = segments
    .slice(1)
    .filter((s) => s !== '')
    .join('/');
  const method = req.method ?? 'GET';
  if (what === 'faults' && method === 'GET') return sendJson(res, 200, faults.get());
  if (what === 'faults' && method === 'PUT') {
    const body = parseJsonBody(req, await readBody(req));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new KvError(400, 'BadParameter', 'The fault settings must be a JSON object.');
    }
    faults.set(body);
    return sendJson(res, 200, faults.get());
  }
  if (what === 'counters' && method === 'GET') return sendJson(res, 200, counters.snapshot());
  if (what === 'counters/reset' && method === 'POST') {
    counters.reset();
    return sendJson(res, 200, counters.snapshot());
  }
  throw new KvError(404, 'NotFound', `No emulator control endpoint ${method} /_emulator/${what}.`);
}
