import type { Duration } from 'luxon';
import { planJob, type PlannedJob, type SweepScheduler } from '../../src/scheduling/rotation-scheduler';

/**
 * The sweep's scheduler in memory, checked against the port at compile time: jobs by id (an id that
 * exists is left alone, as BullMQ does) and the near-future index, with RotationScheduler's rules for
 * replacing and dropping jobs. Jobs never run: tests read what is queued.
 */
export class MemoryScheduler implements SweepScheduler {
  readonly jobs = new Map<string, PlannedJob>();
  readonly index = new Map<string, string>();

  constructor(readonly horizon: Duration) {}

  plan(...args: Parameters<typeof planJob>): PlannedJob {
    return planJob(...args);
  }

  add(jobs: PlannedJob[]): Promise<void> {
    for (const job of jobs) if (!this.jobs.has(job.id)) this.jobs.set(job.id, job);
    return Promise.resolve();
  }

  scheduledIndex(): Promise<Record<string, string>> {
    return Promise.resolve(Object.fromEntries(this.index));
  }

  async replaceScheduled(
    jobs: Array<{ key: string; job: PlannedJob }>,
    index: Record<string, string>,
  ): Promise<void> {
    for (const { key, job } of jobs) {
      const previous = index[key];
      if (previous !== undefined && previous !== job.id) this.jobs.delete(previous);
    }
    await this.add(jobs.map(({ job }) => job));
    for (const { key, job } of jobs) this.index.set(key, job.id);
  }

  unschedule(keys: string[], index: Record<string, string>): Promise<void> {
    for (const key of keys) {
      const id = index[key];
      if (id !== undefined) this.jobs.delete(id);
      this.index.delete(key);
    }
    return Promise.resolve();
  }
}
