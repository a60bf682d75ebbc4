import { readFileSync } from 'node:fs';
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
import { rawHttps, type RawRequest, type RawResponse } from './raw-https';

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

/**
 * A test file's emulator and a client of it, started before its tests (once, or afresh for each test
 * where tests change its faults) and closed after them; read `emu` and `client` inside the tests.
 */
export function useTestEmulator(fresh: 'per-file' | 'per-test' = 'per-file'): {
  readonly emu: TestEmulator;
  readonly client: SecretClient;
} {
  let running: { emu: TestEmulator; client: SecretClient } | undefined;
  const [before, after] = fresh === 'per-test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    const emu = await startTestEmulator();
    running = { emu, client: emu.client() };
  });
  after(async () => {
    await running?.emu.close();
    running = undefined;
  });
  const started = (): { emu: TestEmulator; client: SecretClient } => {
    if (running === undefined) throw new Error('the test emulator is read outside a test');
    return running;
  };
  return {
    get emu() {
      return started().emu;
    },
    get client() {
      return started().client;
    },
  };
}

/** Bypasses the SDK to send what it never would: bad JSON, huge bodies, odd paths. */
export function rawRequest(emulator: TestEmulator, opts: RawRequest): Promise<RawResponse> {
  return rawHttps(emulator.url, emulator.caPem, opts);
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
