import type { RotationTarget } from '../../rotation';
import { KEYVAULT_POLICY } from './policy';

/**
 * The credential lives in Key Vault alone and consumers read it there, so the new version itself is
 * the change: one atomic write, nothing to verify elsewhere and nothing to retire.
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
  };
}
