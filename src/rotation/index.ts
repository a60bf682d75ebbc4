export { rotateSecret } from './rotate-secret';
export { ROTATION_STEPS } from './rotation-types';
export type { RotationDeps, RotationRequest, RotationResult, RotationStep } from './rotation-types';
export type { RotationLock, LockLease } from './rotation-lock';
export type {
  AppliedCredential,
  ProofOutcome,
  RetiredCredential,
  RotationTarget,
  TargetContext,
  TargetLookup,
  VerifyOutcome,
} from './rotation-target';
export { pendingSecretName } from './pending-record';
export { DIGITS, LOWER, UPPER, type GenerationPolicy } from './generate-value';
export { isTriggerSatisfied } from './trigger';
export { retirePending, type RetirementRequest, type RetirementResult } from './retire-pending';
export {
  parseRetirement,
  formatRetirement,
  RETIREMENT_TAG,
  type RetirementRecord,
} from './retirement-record';
export { OVERLAP_TAG, overlapFor } from './overlap';
export type { RetirementSummary } from './rotation-types';
