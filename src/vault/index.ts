export type { SecretProperties, SecretStore, SecretWithValue, SetSecretOptions } from './secret-store';
export { KeyVaultSecretStore, translateVaultError } from './keyvault-secret-store';
export { createSecretStores } from './vault-factory';
export { clientOptionsTrusting, staticTokenCredential } from './client-options';
export { findStore } from './find-store';
