import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { clientOptionsTrusting } from '../vault';

/**
 * Options that make a real SecretClient talk to the emulator: trust its CA only and accept a
 * challenge whose resource is not a parent domain of 127.0.0.1.
 */
export function createEmulatorClientOptions(
  caPem: string,
  extra: Omit<SecretClientOptions, 'agent' | 'disableChallengeResourceVerification'> = {},
): SecretClientOptions {
  return clientOptionsTrusting(caPem, { ...extra, disableChallengeResourceVerification: true });
}
