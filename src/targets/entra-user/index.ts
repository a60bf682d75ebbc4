export { createEntraUserTarget, type EntraUserTargetOptions } from './entra-user-target';
export { ENTRA_USER_POLICY } from './policy';
