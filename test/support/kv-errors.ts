import { RestError } from '@azure/core-rest-pipeline';
import { authed, rawRequest, type TestEmulator } from './emulator';

export interface KvFailure {
  status: number | undefined;
  code: string | undefined;
  message: string;
}

/** What a call through the SDK failed with. */
export async function failureOf(p: Promise<unknown>): Promise<KvFailure> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RestError)) throw e;
    return { status: e.statusCode, code: e.code, message: e.message };
  }
  throw new Error('expected the call to fail');
}

export interface KvErrorBody {
  error?: { code?: string; message?: string; innererror?: { code?: string } };
}

/**
 * The raw error body of a request, for the service's inner code: the JS SDK's RestError drops the
 * body it parsed, so `innererror.code` is only visible on the wire (the Python SDK exposes it).
 */
export async function errorBodyOf(
  emu: TestEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: KvErrorBody }> {
  const sep = path.includes('?') ? '&' : '?';
  const res = await rawRequest(emu, {
    method,
    path: `${path}${sep}api-version=2026-04-01`,
    headers: authed(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.json as KvErrorBody };
}
