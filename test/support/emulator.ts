import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { RestError } from '@azure/core-rest-pipeline';
import { SecretClient } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/core-auth';
import {
  createEmulatorClientOptions,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator';
import { createSecretStores, type SecretStore } from '../../src/vault';

export interface TestEmulator extends RunningEmulator {
  /** A real SecretClient trusting this emulator's CA, with short retry delays for fast tests. */
  client(): SecretClient;
  caPem: string;
}

export const staticCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'emulator', expiresOnTimestamp: Date.now() + 3600_000 }),
};

/** The environment that points a rotator process at this emulator. */
export function vaultEnv(
  emulator: Pick<RunningEmulator, 'url' | 'caFile'>,
  token = 'e2e',
): Record<string, string> {
  return {
    ROTATOR_VAULT_URL: emulator.url,
    ROTATOR_VAULT_CA_FILE: emulator.caFile,
    ROTATOR_VAULT_TOKEN: token,
  };
}

/** The rotator's own vault adapter, pointed at an emulator (as the daemon would be by its config). */
export function emulatorStore(emulator: Pick<RunningEmulator, 'url' | 'caFile'>, token = 'e2e'): SecretStore {
  const [store] = createSecretStores({
    vaultUrls: [emulator.url],
    vaultCaFile: emulator.caFile,
    vaultToken: token,
  });
  if (store === undefined) throw new Error('createSecretStores returned no store');
  return store;
}

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, ...opts });
  const caPem = readFileSync(emulator.caFile, 'utf8');
  return {
    ...emulator,
    caPem,
    client: () =>
      new SecretClient(
        emulator.url,
        staticCredential,
        createEmulatorClientOptions(caPem, {
          retryOptions: { maxRetries: 3, retryDelayInMs: 50, maxRetryDelayInMs: 2000 },
        }),
      ),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** Bypasses the SDK to send what it never would: bad JSON, huge bodies, odd paths. */
export function rawRequest(
  emulator: TestEmulator,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(emulator.url);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method,
        path: opts.path,
        ca: emulator.caPem,
        agent: false,
        headers: {
          ...(opts.body !== undefined && { 'content-length': Buffer.byteLength(opts.body) }),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    // The server may close mid-upload after refusing a body; the response, if any, already arrived.
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Authorized raw request with an api-version, for probing validation past the challenge. */
export function authed(headers: Record<string, string> = {}): Record<string, string> {
  return { authorization: 'Bearer emulator', ...headers };
}

/** The RestError a refused SDK call rejects with (anything else fails the test). */
export async function restError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RestError) return e;
    throw e;
  }
  throw new Error('expected a RestError');
}
