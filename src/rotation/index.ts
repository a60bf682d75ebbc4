export { rotateSecret } from './rotate-secret';
export { ROTATION_STEPS } from './rotation-types';
export type { RotationDeps, RotationRequest, RotationResult, RotationStep } from './rotation-types';
export type { RotationLock, LockLease } from './rotation-lock';
export type {
  AppliedCredential,
  RotationTarget,
  TargetContext,
  TargetLookup,
  VerifyOutcome,
} from './rotation-target';
export { pendingSecretName } from './pending-record';
export { DIGITS, LOWER, UPPER, type GenerationPolicy } from './generate-value';
export { isTriggerSatisfied } from './trigger';
