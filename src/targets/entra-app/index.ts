export { createEntraAppTarget, type EntraAppTargetOptions } from './entra-app-target';
export { ENTRA_APP_POLICY } from './policy';
