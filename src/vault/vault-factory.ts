import { readFileSync } from 'node:fs';
import { delay } from '@azure/core-util';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { RequestBudget } from '../budget';
import type { Config } from '../config';
import { requestBudgetPolicy } from './budget-policy';
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

function budgetPolicies(url: string, budget: RequestBudget | undefined) {
  if (budget === undefined) return [];
  const policy = requestBudgetPolicy(url, budget, {
    // The SDK's own abortable wait: an aborted request stops waiting for its slot.
    sleep: delay,
    maxWaitMs: 30_000,
    defaultPauseMs: 1_000,
    now: () => Date.now(),
  });
  return [{ policy, position: 'perRetry' as const }];
}

/**
 * One store per configured vault. A fixed token (the emulator) also turns off the challenge's
 * resource check, which a vault on 127.0.0.1 could never pass. With a budget, every request to a
 * vault (retries too) is counted against that vault's budget as it is sent.
 */
export function createSecretStores(
  config: Pick<Config, 'vaultUrls' | 'vaultCaFile' | 'vaultToken'>,
  credential?: TokenCredential,
  budget?: RequestBudget,
): SecretStore[] {
  const ca = config.vaultCaFile === undefined ? undefined : readFileSync(config.vaultCaFile, 'utf8');
  const emulated = config.vaultToken !== undefined;
  const cred = credential ?? createVaultCredential(config);
  return config.vaultUrls.map((url) => {
    const options = clientOptionsTrusting(ca, {
      disableChallengeResourceVerification: emulated,
      additionalPolicies: [
        // Marks the rotator's own calls in the vault's audit log (see request-id.ts).
        { policy: rotatorRequestIdPolicy, position: 'perCall' },
        ...budgetPolicies(url, budget),
      ],
      retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
    });
    return new KeyVaultSecretStore(url, new SecretClient(url, cred, options));
  });
}
