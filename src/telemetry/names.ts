/** The telemetry names of the operator contract: dashboards, alerts and KQL depend on them. */
export const SPAN = {
  rotation: 'rotation',
  checkout: 'usage.checkout',
  sweep: 'schedule.sweep',
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
} as const;

export const METRIC = {
  rotations: 'rotator.rotations',
  rotationDuration: 'rotator.rotation.duration',
  secretAge: 'rotator.secret.age',
  secretsOverdue: 'rotator.secrets.overdue',
} as const;

/** The instrumentation scope of every span, metric and audit record the rotator emits. */
export const SCOPE = 'rotator';
