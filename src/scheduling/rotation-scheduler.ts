import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DateTime, Duration } from 'luxon';
import type { Clock } from '../clock';
import type { RotationJobData } from './job-data';
import { rotationJobId, secretKey, type TriggerKind } from './job-ids';
import { FINISHED_JOB_RETENTION } from './queues';

interface RotationJobDefaults {
  attempts: number;
  /** Scheduled rotations get a job only when due within this long (scheduleHorizon of the sweep interval). */
  horizon: Duration;
}

export interface PlannedJob {
  id: string;
  data: RotationJobData;
  runAt: DateTime;
}

interface JobTimes {
  triggeredAt: DateTime;
  dueAt: DateTime;
  idStamp: DateTime | string;
}

/** One trigger of one secret as a job: its deterministic id, when it runs and what it carries. */
export function planJob(
  kind: TriggerKind,
  vault: string,
  secret: string,
  at: JobTimes,
  extra: Partial<Pick<RotationJobData, 'requestedBy' | 'note' | 'checkoutId' | 'traceparent'>> = {},
): PlannedJob {
  const reason = kind === 'recover' ? 'scheduled' : kind;
  return {
    id: rotationJobId(kind, secretKey(vault, secret), at.idStamp),
    runAt: at.dueAt,
    data: {
      secret,
      vault,
      reason,
      triggeredAt: at.triggeredAt.toISO() ?? '',
      dueAt: at.dueAt.toISO() ?? '',
      ...extra,
    },
  };
}

/** What the sweep needs of the scheduler (a port: tests hand in an in-memory one). */
export type SweepScheduler = Pick<
  RotationScheduler,
  'horizon' | 'plan' | 'add' | 'scheduledIndex' | 'replaceScheduled' | 'unschedule'
>;

/** How many jobs one BullMQ addBulk carries: large enough to amortise round trips, small enough to keep Redis responsive. */
const BULK = 500;

/**
 * Puts rotation jobs on the `rotations` queue under deterministic ids. It also keeps, per secret due
 * within the horizon, the id of its one scheduled job in a Redis hash, so a changed due time replaces
 * the old job instead of adding a second one. Secrets due later have neither job nor entry: the hash
 * and the jobs hold the near future only, and the sweep rebuilds both after a Redis loss.
 */
export class RotationScheduler {
  private readonly indexKey: string;

  constructor(
    private readonly queue: Queue<RotationJobData>,
    private readonly redis: Redis,
    prefix: string,
    private readonly clock: Clock,
    private readonly defaults: RotationJobDefaults,
  ) {
    this.indexKey = `${prefix}:rotator:schedule`;
  }

  get horizon(): Duration {
    return this.defaults.horizon;
  }

  plan(...args: Parameters<typeof planJob>): PlannedJob {
    return planJob(...args);
  }

  private options(job: PlannedJob): JobsOptions {
    return {
      jobId: job.id,
      delay: Math.max(0, job.runAt.toMillis() - this.clock.now().toMillis()),
      attempts: this.defaults.attempts,
      backoff: { type: 'rotator' },
      ...FINISHED_JOB_RETENTION,
    };
  }

  /** Adds jobs; an id that exists (waiting, delayed, active, completed or failed) is left alone. */
  async add(jobs: PlannedJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += BULK) {
      await this.queue.addBulk(
        jobs
          .slice(i, i + BULK)
          .map((job) => ({ name: job.data.reason, data: job.data, opts: this.options(job) })),
      );
    }
  }

  /**
   * The scheduled job id of every secret due within the horizon as last recorded, keyed by secretKey:
   * small, since the horizon is minutes of a schedule of days (only after an upgrade from a version
   * that indexed every secret is it large, once).
   */
  async scheduledIndex(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.indexKey);
  }

  /**
   * Makes the scheduled jobs of these secrets exactly `jobs`: adds them, removes each secret's previous
   * scheduled job when its id changed, and records the new ids.
   */
  async replaceScheduled(
    jobs: Array<{ key: string; job: PlannedJob }>,
    index: Record<string, string>,
  ): Promise<void> {
    const stale = jobs.filter(({ key, job }) => index[key] !== undefined && index[key] !== job.id);
    await this.removeJobs(stale.map(({ key }) => index[key] as string));
    await this.add(jobs.map(({ job }) => job));
    const changed = jobs.filter(({ key, job }) => index[key] !== job.id);
    for (let i = 0; i < changed.length; i += BULK) {
      const pairs = changed.slice(i, i + BULK).flatMap(({ key, job }) => [key, job.id]);
      await this.redis.hset(this.indexKey, ...pairs);
    }
  }

  /** Drops the scheduled jobs of secrets gone, no longer managed, or now due beyond the horizon. */
  async unschedule(keys: string[], index: Record<string, string>): Promise<void> {
    await this.removeJobs(keys.map((k) => index[k]).filter((id): id is string => id !== undefined));
    if (keys.length > 0) await this.redis.hdel(this.indexKey, ...keys);
  }

  private async removeJobs(ids: string[]): Promise<void> {
    for (const id of ids) {
      const job = await this.queue.getJob(id);
      // An active job is left to finish: the engine's trigger check makes it harmless.
      if (job !== undefined && !(await job.isActive())) await job.remove().catch(() => undefined);
    }
  }
}
