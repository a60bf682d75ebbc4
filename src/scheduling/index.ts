export { retryDelayMs } from './backoff';
export { classifySecret, decideCheckout, type SecretClass } from './due-time';
export { type RotationJobData, type RotationJobResult, type UsageEvent } from './job-data';
export { failureOutcome, type AttemptInfo, type FailureOutcome } from './failure-outcome';
export {
  FleetSnapshotStore,
  type FleetFigures,
  type FleetHeader,
  type FleetSchedule,
  type FleetSnapshot,
  type FleetSecret,
} from './fleet-snapshot';
export { OLDEST_KEPT, OldestSecrets, type AgedSecret } from './oldest-secrets';
export { HORIZON_SWEEPS, scheduleHorizon, withinHorizon } from './horizon';
export { secretKey } from './job-ids';
export { OutcomeStore, type SecretOutcome } from './outcome-store';
export { QUEUE, SWEEP_SCHEDULER_ID } from './queues';
export { RotationScheduler } from './rotation-scheduler';
export { createRotationProcessor, type RotateFn } from './rotation-worker';
export { sweepVaults, type SweepDeps, type SweepSummary } from './sweep';
export { recordUsage, type RecordUsageDeps, type RecordedUsage, type UsageToRecord } from './record-usage';
export {
  createUsageProcessor,
  createUsageRecorder,
  type UsageListenerDeps,
  type UsageOutcome,
} from './usage-listener';
export {
  createRetirementProcessor,
  RETIRE_JOB,
  RetirementScheduler,
  type PendingRetirement,
  type RetireFn,
} from './retirement-jobs';
