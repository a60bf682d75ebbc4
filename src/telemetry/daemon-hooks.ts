import type { Logger } from 'pino';
import type { DaemonDeps } from '../daemon';
import { createRotatorMetrics, type RotatorMetrics } from './metrics';
import { ATTR } from './names';
import { currentTraceparent, recordDecision, tracedRotation, tracedSweep, tracedUsageEvent } from './tracing';
import { tracedRetirement } from './retirement-tracing';

type DaemonTelemetryHooks = Pick<
  DaemonDeps,
  | 'instrumentRotation'
  | 'instrumentRetirement'
  | 'instrumentSweep'
  | 'instrumentUsage'
  | 'currentTraceparent'
  | 'observeFleet'
  | 'onDecision'
>;

/** Everything the daemon reports: spans, metrics and audit records (also written to the JSON log). */
export function daemonTelemetryHooks(
  logger: Logger,
  metrics: RotatorMetrics = createRotatorMetrics(),
): DaemonTelemetryHooks {
  const log = (record: Record<string, string>): void => logger.info({ audit: record }, 'audit');
  return {
    instrumentRotation: (run, request, job) =>
      tracedRotation(
        run,
        {
          secret: request.secretName,
          vault: job.data.vault,
          reason: request.reason,
          actor: job.data.requestedBy ?? 'rotator',
          jobId: job.id,
          checkoutId: job.data.checkoutId,
          traceparent: job.data.traceparent,
          attempt: job.attempt,
        },
        { metrics, log },
      ),
    instrumentRetirement: (run, request) => tracedRetirement(run, request, { metrics, log }),
    instrumentSweep: (run) => tracedSweep(run),
    instrumentUsage: (raw, run) => tracedUsageEvent(raw, run, { log }),
    currentTraceparent,
    observeFleet: (read) => metrics.readFleetFrom(read),
    onDecision: (decision) =>
      recordDecision(decision.decision, {
        [ATTR.secret]: decision.secret,
        [ATTR.vault]: decision.vault,
        ...(decision.dueAt !== undefined && { 'rotator.due_at': decision.dueAt }),
      }),
  };
}
