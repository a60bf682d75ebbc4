import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { isRotatorError } from '../errors';

/**
 * Puts a rotation or retirement job that met `error` back to delayed for `waitMs` without spending an
 * attempt (BullMQ's DelayedError), so a spent vault's jobs wait while other vaults' jobs run.
 */
export async function postpone(
  job: Job,
  token: string,
  postponed: { error: unknown; waitMs: number },
  log: Logger,
): Promise<never> {
  const { error, waitMs } = postponed;
  // A spent budget is routine under load; another worker's lock is worth a line.
  if (isRotatorError(error) && error.code === 'VAULT_BUDGET_EXHAUSTED')
    log.debug({ waitMs }, 'vault budget spent; job postponed');
  else log.info({ waitMs }, 'secret is locked by another worker; job postponed');
  // BullMQ compares the timestamp with its own wall clock, not the rotator's injected one.
  await job.moveToDelayed(Date.now() + waitMs, token);
  throw new DelayedError();
}
