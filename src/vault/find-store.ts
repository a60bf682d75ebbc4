import type { SecretStore } from './secret-store';

/** The configured store of a vault URL, compared without case or trailing slashes. */
export function findStore(stores: readonly SecretStore[], vaultUrl: string): SecretStore | undefined {
  const wanted = vaultUrl.replace(/\/+$/, '').toLowerCase();
  return stores.find((s) => s.vaultUrl.replace(/\/+$/, '').toLowerCase() === wanted);
}
