export { createTargetRegistry, TARGET_KINDS } from './registry';
