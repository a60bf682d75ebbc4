export { createKeyVaultTarget } from './keyvault-target';
export { KEYVAULT_POLICY } from './policy';
