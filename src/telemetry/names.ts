/** The telemetry names of the operator contract: dashboards, alerts and KQL depend on them. */
export const SPAN = {
  rotation: 'rotation',
  checkout: 'usage.checkout',
  sweep: 'schedule.sweep',
  accessRequest: 'access.request',
  accessDecision: 'access.decision',
  accessCheckout: 'access.checkout',
  auditScan: 'audit.scan',
  /** The follow-up that retires a credential after its overlap. */
  retirement: 'rotation.retirement',
} as const;

export const ATTR = {
  secret: 'rotator.secret',
  vault: 'rotator.vault',
  target: 'rotator.target',
  reason: 'rotator.reason',
  outcome: 'rotator.outcome',
  rotationId: 'rotator.rotation_id',
  checkoutId: 'rotator.checkout_id',
  actor: 'rotator.actor',
  step: 'rotator.step',
  errorCode: 'rotator.error_code',
  decision: 'rotator.decision',
  /** 1 for a job's first run; with `rotator.outcome` `retrying` it says how many tries so far. */
  attempt: 'rotator.attempt',
  /** The replica (host name) a heartbeat comes from. */
  replica: 'rotator.replica',
  actorId: 'rotator.actor_id',
  verified: 'rotator.verified',
  ticket: 'rotator.ticket',
  requestId: 'rotator.request_id',
  approver: 'rotator.approver',
  approverId: 'rotator.approver_id',
  /** `pending` (overlapping until rotator.overlap_until), `proven` or `unproven`. */
  retirement: 'rotator.retirement',
  retirementReason: 'rotator.retirement_reason',
  retirementCheck: 'rotator.retirement_check',
  overlapUntil: 'rotator.overlap_until',
} as const;

/** Every `rotator.outcome` of a rotation, one meaning each (contract). */
export const ROTATION_OUTCOMES = [
  'rotated',
  'satisfied',
  'recovered',
  'postponed',
  'retrying',
  'quarantined',
  'failed',
] as const;

export const METRIC = {
  rotations: 'rotator.rotations',
  rotationDuration: 'rotator.rotation.duration',
  secretAge: 'rotator.secret.age',
  secretsOverdue: 'rotator.secrets.overdue',
  /** Retirements checked, by outcome (`proven`, `unproven`) and target. */
  retirements: 'rotator.retirements',
  /** Fleet gauges read from the last sweep's snapshot in Redis, whichever replica swept. */
  secretsQuarantined: 'rotator.secrets.quarantined',
  oldestSecretAge: 'rotator.secret.oldest_age',
  /** Seconds since the sweep whose snapshot the fleet gauges report: stale data shows as stale. */
  sweepAge: 'rotator.sweep.age',
  /** 1 per replica per export, with `rotator.replica`: a replica that sends none is down. */
  heartbeat: 'rotator.heartbeat',
  accessRequests: 'rotator.access.requests',
  readsUnbrokered: 'rotator.reads.unbrokered',
} as const;

/** The audit records' customEvents name (workbook, README queries). */
export const AUDIT_EVENT = 'RotatorAudit';

/** The span event that carries a failed rotation's step and error (lands in traces / AppTraces). */
export const EVENT = {
  rotationFailed: 'rotation.failed',
} as const;

/** The instrumentation scope of every span, metric and audit record the rotator emits. */
export const SCOPE = 'rotator';
