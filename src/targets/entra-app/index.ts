export { createEntraAppTarget } from './entra-app-target';
