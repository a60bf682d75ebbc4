import { isRotatorError } from '../errors';

/** What a rotation that threw means, in the contract's outcome words. */
export type FailureOutcome = 'postponed' | 'satisfied' | 'retrying' | 'quarantined' | 'failed';

/** Where a rotation job stands among its attempts; only the worker knows it. */
export interface AttemptInfo {
  /** 1 for the first run of the job. */
  attempt: number;
  maxAttempts: number;
  /** The job's trigger: a scheduled job whose secret vanished is satisfied, a manual one failed. */
  reason: string;
}

/**
 * The one rule that names a failed rotation, shared by the worker (outcome store, retry decision) and
 * telemetry (span, metric, audit record), so an alert and `rotator status` always agree:
 * another replica's lock, or a vault's spent request budget, postpones; a vanished secret satisfies a scheduled job; a permanent error
 * fails at once; a transient one is retried until the attempts run out, and then quarantined.
 */
export function failureOutcome(error: unknown, attempt: AttemptInfo): FailureOutcome {
  // Another worker's lock, or the vault's spent request budget: the job waits, without an attempt.
  if (postponementMs(error, 0) !== undefined) return 'postponed';
  if (isRotatorError(error) && error.code === 'SECRET_NOT_FOUND' && attempt.reason !== 'manual') {
    return 'satisfied';
  }
  if (isRotatorError(error) && error.permanent) return 'failed';
  return attempt.attempt >= attempt.maxAttempts ? 'quarantined' : 'retrying';
}

/**
 * How long a job that met `error` waits before it runs again, when that error is no failure: another
 * worker holds the secret's lock, or its vault's request budget is spent (until a slot frees, spread).
 * Undefined for every other error.
 */
export function postponementMs(error: unknown, lockedRetryMs: number): number | undefined {
  if (!isRotatorError(error)) return undefined;
  if (error.code === 'ROTATION_LOCKED') return lockedRetryMs;
  if (error.code === 'VAULT_BUDGET_EXHAUSTED') return error.retryAfterMs ?? lockedRetryMs;
  return undefined;
}
