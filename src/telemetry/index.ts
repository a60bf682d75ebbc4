export { startTelemetry, type Telemetry, type TelemetryOptions } from './setup';
export { createRotatorMetrics, type RotatorMetrics } from './metrics';
export { emitAudit, AUDIT_EVENT_NAME, type AuditRecord } from './audit';
export { daemonTelemetryHooks } from './daemon-hooks';
export {
  tracedRotation,
  tracedSweep,
  tracedUsageEvent,
  currentTraceparent,
  linkFromTraceparent,
} from './tracing';
export { SPAN, ATTR, METRIC, SCOPE } from './names';
