import type { RotationTarget } from '../../rotation';
import { KEYVAULT_POLICY } from './policy';

/** Consumers of App Service and Functions Key Vault references refresh within a day. */
export const KEYVAULT_OVERLAP_DEFAULT_MS = 24 * 3600 * 1000;

/**
 * The credential lives in Key Vault alone and consumers read it there, so the new version itself is
 * the change: one atomic write, nothing to verify elsewhere. Retiring is disabling the old version,
 * which the engine does for every target; the disabled version is the proof.
 */
export function createKeyVaultTarget(): RotationTarget {
  return {
    kind: 'keyvault',
    policy: KEYVAULT_POLICY,
    external: false,
    requiredTags: [],
    apply: (_ctx, newValue) =>
      newValue === undefined
        ? Promise.reject(new Error('the keyvault target needs a generated value'))
        : Promise.resolve({ value: newValue, tags: {} }),
    verify: () => Promise.resolve({ accepted: true }),
    retire: () => Promise.resolve(),
    overlapDefaultMs: KEYVAULT_OVERLAP_DEFAULT_MS,
  };
}
