import type { SecretStore } from '../vault';

/**
 * Adds a PostgreSQL-managed account when PostgreSQL answers on localhost. Arrives with the postgres
 * target; until then the demo runs with Key Vault-only accounts.
 */
export function seedPostgresAccount(_store: SecretStore, _say: (line: string) => void): Promise<boolean> {
  return Promise.resolve(false);
}
