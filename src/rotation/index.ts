export { rotateSecret } from './rotate-secret';
export type {
  RotationDeps,
  RotationRequest,
  RotationResult,
  RotationReason,
  RotationStep,
} from './rotation-types';
export type { RotationLock, LockLease } from './rotation-lock';
export { pendingSecretName } from './pending-record';
export { generateValue, POLICIES } from './generate-value';
