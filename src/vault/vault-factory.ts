import { readFileSync } from 'node:fs';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { Config } from '../config';
import { clientOptionsTrusting, staticTokenCredential } from './client-options';
import { KeyVaultSecretStore } from './keyvault-secret-store';
import { rotatorRequestIdPolicy } from './request-id';
import type { SecretStore } from './secret-store';

/** The rotator's one identity for Azure: a fixed token with the emulator, else DefaultAzureCredential. */
export function createVaultCredential(config: Pick<Config, 'vaultToken'>): TokenCredential {
  return config.vaultToken === undefined
    ? new DefaultAzureCredential()
    : staticTokenCredential(config.vaultToken);
}

/**
 * One store per configured vault. A fixed token (the emulator) also turns off the challenge's
 * resource check, which a vault on 127.0.0.1 could never pass.
 */
export function createSecretStores(
  config: Pick<Config, 'vaultUrls' | 'vaultCaFile' | 'vaultToken'>,
  credential?: TokenCredential,
): SecretStore[] {
  const ca = config.vaultCaFile === undefined ? undefined : readFileSync(config.vaultCaFile, 'utf8');
  const emulated = config.vaultToken !== undefined;
  const cred = credential ?? createVaultCredential(config);
  const options = clientOptionsTrusting(ca, {
    disableChallengeResourceVerification: emulated,
    // Marks the rotator's own calls in the vault's audit log (see request-id.ts).
    additionalPolicies: [{ policy: rotatorRequestIdPolicy, position: 'perCall' }],
    retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
  });
  return config.vaultUrls.map((url) => new KeyVaultSecretStore(url, new SecretClient(url, cred, options)));
}
