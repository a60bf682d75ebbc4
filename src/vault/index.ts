export type { SecretProperties, SecretStore, SecretWithValue } from './secret-store';
export { translateVaultError } from './keyvault-secret-store';
export { createSecretStores } from './vault-factory';
export { clientOptionsTrusting, staticTokenCredential } from './client-options';
export { findStore } from './find-store';
