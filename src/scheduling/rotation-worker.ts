import { UnrecoverableError, type Job } from 'bullmq';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { isRotatorError, RotatorError } from '../errors';
import type { RotationRequest, RotationResult } from '../rotation';
import { findStore, type SecretStore } from '../vault';
import { describeIssues, rotationJobSchema, type RotationJobData, type RotationJobResult } from './job-data';
import { secretKey } from './job-ids';
import { failureOutcome, postponementMs, type AttemptInfo } from './failure-outcome';
import type { OutcomeStore } from './outcome-store';
import { postpone } from './postpone';

/** Runs one rotation; the daemon wraps the engine with its lock, targets and tracing. */
export type RotateFn = (
  request: RotationRequest,
  store: SecretStore,
  job: { id: string; data: RotationJobData; attempt: AttemptInfo },
) => Promise<RotationResult>;

interface RotationWorkerDeps {
  stores: readonly SecretStore[];
  rotate: RotateFn;
  outcomes: OutcomeStore;
  clock: Clock;
  logger: Logger;
  /** How long a job waits when another worker holds the secret's lock. */
  lockedRetryMs: number;
}

function describe(error: unknown): { code: string; text: string } {
  if (isRotatorError(error)) return { code: error.code, text: error.toOneLine() };
  return { code: 'UNEXPECTED', text: error instanceof Error ? error.message : String(error) };
}

interface Attempt {
  job: Job<RotationJobData>;
  token: string | undefined;
  data: RotationJobData;
  key: string;
  log: Logger;
  attempt: AttemptInfo;
}

/**
 * A failed attempt: postponed when another worker holds the lock, dropped when a scheduled secret is
 * gone, else recorded and rethrown so BullMQ retries (transient) or fails the job at once (permanent).
 */
async function failed(
  deps: RotationWorkerDeps,
  attempt: Attempt,
  error: unknown,
): Promise<RotationJobResult> {
  const { job, token, data, key, log } = attempt;
  const id = job.id ?? '';
  const outcome = failureOutcome(error, attempt.attempt);
  if (outcome === 'postponed' && token !== undefined) {
    // Not a failure: another worker is on it, or its vault's budget frees in retryAfterMs.
    const waitMs = postponementMs(error, deps.lockedRetryMs) ?? deps.lockedRetryMs;
    return postpone(job, token, { error, waitMs }, log);
  }
  if (outcome === 'satisfied') {
    log.warn('secret no longer exists; scheduled job dropped');
    return { outcome: 'satisfied', rotationId: undefined, version: undefined };
  }
  const { code, text } = describe(error);
  const permanent = outcome === 'failed';
  await deps.outcomes.record(key, {
    outcome: outcome === 'postponed' ? 'retrying' : outcome,
    at: deps.clock.now().toISO() ?? '',
    reason: data.reason,
    jobId: id,
    errorCode: code,
    error: text,
  });
  log.error({ code, attempt: attempt.attempt.attempt, outcome }, 'rotation job failed');
  if (permanent) throw new UnrecoverableError(text);
  throw new RotatorError(isRotatorError(error) ? error.code : 'ROTATION_UNRECOVERABLE', text, {
    hint: 'retried with backoff',
    retryAfterMs: isRotatorError(error) ? error.retryAfterMs : undefined,
  });
}

/**
 * The processor of the `rotations` queue. Permanent errors fail the job at once (UnrecoverableError);
 * transient ones are retried with backoff until the attempts run out, and the secret is then
 * quarantined: visible in `status` and `jobs` until an operator retries it.
 */
export function createRotationProcessor(deps: RotationWorkerDeps) {
  return async (job: Job<RotationJobData>, token?: string): Promise<RotationJobResult> => {
    const parsed = rotationJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`USAGE_INVALID: bad rotation job: ${describeIssues(parsed.error)}`);
    const data = parsed.data;
    const id = job.id ?? '';
    const key = secretKey(data.vault, data.secret);
    const store = findStore(deps.stores, data.vault);
    if (store === undefined) {
      throw new UnrecoverableError(
        `CONFIG_INVALID: vault ${data.vault} is not configured — add it to ROTATOR_VAULT_URL or drop the job`,
      );
    }
    const request: RotationRequest = {
      secretName: data.secret,
      reason: data.reason,
      triggeredAt: DateTime.fromISO(data.triggeredAt, { zone: 'utc' }),
    };
    const log = deps.logger.child({ job: id, secret: data.secret, vault: data.vault, reason: data.reason });
    const attempt: AttemptInfo = {
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      reason: data.reason,
    };
    try {
      const result = await deps.rotate(request, store, { id, data, attempt });
      // Not awaited: the daemon's one connection sends it before BullMQ's finish of this job, and Redis
      // runs one connection's commands in order, so it is recorded before the job shows completed
      // without a round trip of its own. It is only the operator's view (outcome-store.ts): a failure
      // to record is logged, and the rotation it describes stands.
      deps.outcomes
        .record(key, {
          outcome: result.outcome,
          at: deps.clock.now().toISO() ?? '',
          reason: data.reason,
          rotationId: result.rotationId,
          jobId: id,
        })
        .catch((error: unknown) =>
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'outcome not recorded'),
        );
      log.info(
        { outcome: result.outcome, rotationId: result.rotationId, recovery: result.recovery },
        'rotation job done',
      );
      return { outcome: result.outcome, rotationId: result.rotationId, version: result.version };
    } catch (error) {
      return failed(deps, { job, token, data, key, log, attempt }, error);
    }
  };
}
