import type { Logger } from 'pino';
import { isRotatorError } from '../errors';
import { retryDelayMs } from '../scheduling';
import type { PollLease } from './poll-lease';
import type { ScanSummary } from './scan';

export interface AuditWatcherDeps {
  /** One scan (scanAuditLog with its dependencies bound). */
  scan: () => Promise<ScanSummary>;
  /** One scan per poll interval across replicas. */
  lease: PollLease;
  pollMs: number;
  /** The longest wait after repeated failures. */
  maxBackoffMs: number;
  logger: Logger;
  /** Wraps one scan (the `audit.scan` span). */
  instrument?: (run: () => Promise<ScanSummary>) => Promise<ScanSummary>;
  random?: () => number;
}

export interface RunningAuditWatcher {
  /** Stops polling and waits for a running scan to end. */
  stop(): Promise<void>;
}

/**
 * Polls the audit log every ROTATOR_AUDIT_POLL on every replica; the replica that takes the interval's
 * lease scans, the others skip that interval.
 * A failed scan (workspace unreachable or throttled, vault down) moves nothing: the watermark stays and
 * the same range is read again after an exponential backoff (Retry-After wins), so no row is dropped.
 */
export function startAuditWatcher(deps: AuditWatcherDeps): RunningAuditWatcher {
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const backoff = (error: unknown): number => {
    failures += 1;
    const delay = retryDelayMs(failures, error, {
      baseMs: Math.min(deps.pollMs, 30_000),
      maxMs: deps.maxBackoffMs,
      random: deps.random,
    });
    deps.logger.warn(
      {
        code: isRotatorError(error) ? error.code : undefined,
        err: error instanceof Error ? error.message : String(error),
        failures,
        retryInMs: delay,
      },
      'audit scan failed; the same range is read again after a backoff',
    );
    return delay;
  };
  const once = async (): Promise<number> => {
    const lease = await deps.lease.take(deps.pollMs);
    if (lease === undefined) return deps.pollMs;
    try {
      const summary = await (deps.instrument === undefined ? deps.scan() : deps.instrument(deps.scan));
      failures = 0;
      lease.done();
      if (summary.uses > 0 || summary.failed > 0) deps.logger.info({ ...summary }, 'audit scan done');
      else deps.logger.debug({ ...summary }, 'audit scan done');
      return deps.pollMs;
    } catch (error) {
      const delay = backoff(error);
      // Every replica waits the backoff, not only this one: a throttled workspace gets no extra queries.
      lease.done(Math.max(1, delay - 100));
      return delay;
    }
  };
  const tick = (): void => {
    running = once()
      .catch((error: unknown) => backoff(error))
      .then((delay) => {
        if (!stopped) {
          timer = setTimeout(tick, delay);
          timer.unref();
        }
      });
  };
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
