export type { SecretProperties, SecretStore, SecretWithValue } from './secret-store';
export { translateVaultError } from './keyvault-secret-store';
export { createSecretStores, createVaultCredential } from './vault-factory';
export { ROTATOR_REQUEST_ID_PREFIX, isRotatorRequestId, rotatorRequestId } from './request-id';
export { clientOptionsTrusting, staticTokenCredential } from './client-options';
export { findStore } from './find-store';
