import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { DateTime, type Duration } from 'luxon';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock/clock';
import { isRotatorError, RotatorError } from '../errors';
import type { RetirementRequest, RetirementResult } from '../rotation';
import { findStore, type SecretStore } from '../vault';
import { describeIssues } from './job-data';
import { withinHorizon } from './horizon';
import { secretKey } from './job-ids';
import { FINISHED_JOB_RETENTION } from './queues';
import type { OutcomeStore } from './outcome-store';
import { postponementMs } from './failure-outcome';
import { postpone } from './postpone';

/** The follow-up jobs share the `rotations` queue (its limiter, backoff and `rotator jobs`) under this name. */
export const RETIRE_JOB = 'retire';

/** Names and times only: the job never carries a value. */
export const retirementJobSchema = z.object({
  secret: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/),
  vault: z.url(),
  /** The version whose predecessor is retired. */
  version: z.string().regex(/^[0-9a-zA-Z]{1,64}$/),
  retireAt: z.string(),
});
export type RetirementJobData = z.infer<typeof retirementJobSchema>;

export interface PendingRetirement {
  vault: string;
  secret: string;
  version: string;
  at: string;
}

const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/** Adds the delayed follow-up of a rotation with overlap; one job id per retired version. */
export class RetirementScheduler {
  /**
   * `horizon`: as for rotations, Redis holds only the follow-ups due within it. Key Vault's
   * `retirement` tag (pending, with its time) is the durable record the sweep adds the rest from.
   */
  constructor(
    private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly attempts: number,
    private readonly horizon: Duration,
  ) {}

  private near(r: PendingRetirement): boolean {
    return withinHorizon(DateTime.fromISO(r.at, { zone: 'utc' }), this.clock.now(), this.horizon);
  }

  private baseId(r: PendingRetirement): string {
    return `${RETIRE_JOB}.${secretKey(r.vault, r.secret)}.${r.version}`;
  }

  private async add(r: PendingRetirement, jobId: string): Promise<void> {
    const data: RetirementJobData = { secret: r.secret, vault: r.vault, version: r.version, retireAt: r.at };
    await this.queue.add(RETIRE_JOB, data, {
      jobId,
      delay: Math.max(0, Date.parse(r.at) - this.clock.now().toMillis()),
      attempts: this.attempts,
      backoff: { type: 'rotator' },
      ...FINISHED_JOB_RETENTION,
    });
  }

  /**
   * After a rotation: the job that retires the previous credential when the overlap ends, if that is
   * within the horizon; a later end is left to the sweep. Returns whether a job was added.
   */
  async schedule(r: PendingRetirement): Promise<boolean> {
    if (!this.near(r)) return false;
    await this.add(r, this.baseId(r));
    return true;
  }

  /**
   * From the sweep, for every pending or unproven retirement Key Vault records that is due within the
   * horizon: a job unless one is already waiting. One lost with Redis is added again; one that failed or ended unproven gets a
   * fresh id, so the retirement is tried again.
   */
  async ensure(r: PendingRetirement): Promise<void> {
    if (!this.near(r)) return;
    const base = this.baseId(r);
    const job = await this.queue.getJob(base);
    if (job === undefined) return this.add(r, base);
    if (LIVE_STATES.has(await job.getState())) return;
    await this.add(r, `${base}.${this.clock.now().toMillis()}`);
  }
}

export type RetireFn = (
  request: RetirementRequest,
  store: SecretStore,
  jobId: string,
) => Promise<RetirementResult>;

export interface RetirementWorkerDeps {
  stores: readonly SecretStore[];
  retire: RetireFn;
  outcomes: OutcomeStore;
  clock: Clock;
  logger: Logger;
  lockedRetryMs: number;
}

/**
 * Processes `retire` jobs. Early (a clock ahead of the vault's), locked, or refused by its vault's
 * spent request budget: moved back to delayed without spending an attempt. A failure is retried with backoff, and once the attempts are spent the
 * job fails visibly (`rotator jobs --failed`) while Key Vault still says `pending`, so the sweep adds it again.
 */
export function createRetirementProcessor(deps: RetirementWorkerDeps) {
  return async (job: Job, token?: string): Promise<RetirementResult> => {
    const parsed = retirementJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`USAGE_INVALID: bad retire job: ${describeIssues(parsed.error)}`);
    const data = parsed.data;
    const store = findStore(deps.stores, data.vault);
    if (store === undefined) {
      throw new UnrecoverableError(
        `CONFIG_INVALID: vault ${data.vault} is not configured — add it to ROTATOR_VAULT_URL or drop the job`,
      );
    }
    const log = deps.logger.child({ job: job.id, secret: data.secret, vault: data.vault, step: 'retire' });
    const key = secretKey(data.vault, data.secret);
    try {
      const result = await deps.retire(
        { secretName: data.secret, retiredVersion: data.version },
        store,
        job.id ?? '',
      );
      if (result.outcome === 'not-due' && token !== undefined) {
        await job.moveToDelayed(Date.parse(result.retirement?.at ?? data.retireAt), token);
        throw new DelayedError();
      }
      log.info(
        { outcome: result.outcome, retirement: result.retirement?.state, reason: result.retirement?.reason },
        'retirement job done',
      );
      return result;
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      // Locked by another worker, or refused admission by its vault's budget: as a rotation job does.
      const waitMs = postponementMs(error, deps.lockedRetryMs);
      if (waitMs !== undefined && token !== undefined) return postpone(job, token, { error, waitMs }, log);
      const text = isRotatorError(error)
        ? error.toOneLine()
        : error instanceof Error
          ? error.message
          : String(error);
      await deps.outcomes.record(key, {
        outcome: 'retire-failed',
        at: deps.clock.now().toISO() ?? '',
        jobId: job.id ?? '',
        errorCode: isRotatorError(error) ? error.code : 'UNEXPECTED',
        error: text,
      });
      log.error(
        { code: isRotatorError(error) ? error.code : 'UNEXPECTED', attempt: job.attemptsMade + 1 },
        'retirement job failed',
      );
      if (isRotatorError(error) && error.permanent) throw new UnrecoverableError(text);
      throw new RotatorError(isRotatorError(error) ? error.code : 'ROTATION_FAILED', text, {
        hint: 'retried with backoff; the sweep adds it again while Key Vault records it pending',
      });
    }
  };
}
