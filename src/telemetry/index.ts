export { startTelemetry } from './setup';
export { telemetryOptions } from './options';
export { createRotatorMetrics } from './metrics';
export { emitAudit, type AuditRecord } from './audit';
export { daemonTelemetryHooks } from './daemon-hooks';
export { auditScanTelemetry, UNBROKERED_OUTCOME, type AuditScanTelemetry } from './audit-scan';
export {
  tracedRotation,
  tracedSweep,
  tracedUsageEvent,
  currentTraceparent,
  linkFromTraceparent,
} from './tracing';
export { SPAN, ATTR, METRIC } from './names';
