export { createTargetRegistry, TARGET_KINDS, type TargetRegistryOptions } from './registry';
