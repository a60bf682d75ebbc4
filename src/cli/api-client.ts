import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AccessConfig } from '../config';
import { RotatorError } from '../errors';

/** What to do about each refusal the access API can give, for the CLI's one-line error. */
const HINTS: Record<string, string> = {
  ROLE_MISSING: 'ask your Entra administrator to assign you the app role named above',
  TICKET_MISSING: 'pass --ticket with the service request id',
  REASON_MISSING: 'pass --reason saying why',
  APPROVAL_REQUIRED:
    'run rotator request <secret> --reason … --ticket …, then have another approver run rotator approve <id>',
  APPROVAL_EXPIRED: 'request access again with rotator request',
  SELF_APPROVAL: 'another person with Rotator.Approve must decide it',
  REQUEST_EXPIRED: 'the requester must ask again with rotator request',
  REQUEST_NOT_PENDING: 'see rotator requests for its state',
  REQUEST_NOT_FOUND: 'see rotator requests for the ids you may use',
  REQUEST_MISMATCH: 'use your own request for this secret and its ticket',
  SECRET_NOT_FOUND: 'check the name with rotator status',
  SECRET_UNMANAGED: 'only secrets tagged rotation-target can be checked out',
};

/** 400-class input errors are bad input (exit 2); every other refusal is a refused operation (exit 1). */
const BAD_INPUT = new Set([
  'INPUT_INVALID',
  'BODY_INVALID',
  'BODY_MALFORMED',
  'BODY_TOO_LARGE',
  'DURATION_TOO_LONG',
  'SECRET_NOT_FOUND',
  'SECRET_UNMANAGED',
  'NOT_FOUND',
]);

export interface ApiClient {
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

async function bearer(config: AccessConfig): Promise<string> {
  if (config.apiToken !== undefined) return config.apiToken;
  if (config.apiScope === undefined) {
    throw new RotatorError('CONFIG_INVALID', 'no token for the access API', {
      hint: 'set ROTATOR_API_SCOPE (or ROTATOR_API_AUDIENCE) for DefaultAzureCredential, or ROTATOR_API_TOKEN',
      exitCode: 2,
    });
  }
  const { DefaultAzureCredential } = await import('@azure/identity');
  try {
    const token = await new DefaultAzureCredential().getToken(config.apiScope);
    return token.token;
  } catch (error) {
    throw new RotatorError('ACCESS_REFUSED', `could not get a token for ${config.apiScope}`, {
      hint: 'sign in (az login) or set ROTATOR_API_TOKEN',
      cause: error,
    });
  }
}

function send(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; ca?: string },
): Promise<{ status: number; text: string }> {
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      url,
      {
        method: init.method,
        headers: init.headers,
        timeout: 30_000,
        ...(init.ca !== undefined && { ca: init.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** The body of a 2xx answer; any other is a RotatorError with the API's code and a hint. */
function answerOrThrow<T>(answer: { status: number; text: string }): T {
  let json: unknown;
  try {
    json = JSON.parse(answer.text) as unknown;
  } catch {
    json = undefined;
  }
  if (answer.status >= 200 && answer.status < 300) return json as T;
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.status}`;
  const message =
    typeof error?.message === 'string' ? error.message : `the access API answered ${answer.status}`;
  if (answer.status >= 500)
    throw new RotatorError('ACCESS_UNAVAILABLE', `${code}: ${message}`, {
      hint: 'try again; if it persists, check the daemon',
    });
  const hint =
    HINTS[code] ??
    (code.startsWith('TOKEN_')
      ? 'sign in again (az login) or pass a valid ROTATOR_API_TOKEN'
      : 'see the message');
  throw new RotatorError('ACCESS_REFUSED', `${code}: ${message}`, {
    hint,
    exitCode: BAD_INPUT.has(code) ? 2 : 1,
  });
}

/** The CLI's way to the access API (ROTATOR_API_URL): a token, JSON in and out, refusals as RotatorErrors. */
export function createApiClient(config: AccessConfig): ApiClient {
  const base = config.apiUrl;
  if (base === undefined) {
    throw new RotatorError('CONFIG_INVALID', 'ROTATOR_API_URL is not set', {
      hint: 'export ROTATOR_API_URL=https://<the rotator access API>; requests and approvals go through it',
      exitCode: 2,
    });
  }
  const ca = config.apiCaFile === undefined ? undefined : readFileSync(config.apiCaFile, 'utf8');
  return {
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const token = await bearer(config);
      const text = body === undefined ? undefined : JSON.stringify(body);
      let answer: { status: number; text: string };
      try {
        answer = await send(new URL(`${base}${path}`), {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(text !== undefined && {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(text)),
            }),
          },
          body: text,
          ca,
        });
      } catch (error) {
        throw new RotatorError('ACCESS_UNAVAILABLE', `the access API at ${base} is not reachable`, {
          hint: 'check ROTATOR_API_URL (and ROTATOR_API_CA_FILE for a private CA)',
          cause: error,
        });
      }
      return answerOrThrow<T>(answer);
    },
  };
}
