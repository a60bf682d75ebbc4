export { createEntraUserTarget } from './entra-user-target';
export { ENTRA_USER_POLICY } from './policy';
