import { Agent } from 'node:https';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import type { AccessToken, TokenCredential } from '@azure/identity';

/**
 * Options for a SecretClient that talks to a vault behind a private CA (the emulator). The agent
 * trusts the extra CA for this client only, leaving the process-wide trust store untouched.
 */
export function clientOptionsTrusting(
  caPem: string | undefined,
  base: SecretClientOptions = {},
): SecretClientOptions {
  if (caPem === undefined) return base;
  return { ...base, agent: new Agent({ ca: caPem, keepAlive: true }) };
}

/** A fixed bearer token, for the emulator; in Azure the daemon uses DefaultAzureCredential. */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}
