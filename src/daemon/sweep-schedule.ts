import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { SWEEP_SCHEDULER_ID } from '../scheduling';
import type { DaemonPart } from './daemon-part';

/**
 * Keeps the sweep's job scheduler in Redis. Re-upserting is a no-op while the scheduler exists and
 * recreates it after a Redis loss (FLUSHALL), so every replica re-upserts once per sweep interval.
 */
export async function startSweepSchedule(
  sweeps: Queue,
  config: Pick<Config, 'sweepInterval'>,
  logger: Logger,
): Promise<DaemonPart> {
  const upsert = async (): Promise<void> => {
    await sweeps.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: config.sweepInterval.ms },
      { name: 'sweep', opts: { removeOnComplete: 50, removeOnFail: 50 } },
    );
  };
  await upsert();
  const timer = setInterval(() => {
    upsert().catch((error: unknown) =>
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not upsert the sweep scheduler',
      ),
    );
  }, config.sweepInterval.ms);
  timer.unref();
  const halt = (): Promise<void> => {
    clearInterval(timer);
    return Promise.resolve();
  };
  return { name: 'sweep schedule', drain: halt, stop: halt };
}
