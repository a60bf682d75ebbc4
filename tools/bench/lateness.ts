import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { seedKeyVaultSecrets, startRig } from './rig';
import { percentile, round } from './stats';

export interface Lateness {
  checkouts: number;
  grace: string;
  spreadSeconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Forced rotations that started before their due time: must be 0. */
  early: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rotation start − due time over many checkouts, each forcing a rotation `grace` later. */
export async function forcedRotationLateness(opts: {
  redisDb: number;
  checkouts: number;
  spreadMs: number;
}): Promise<Lateness> {
  const grace = 'PT2S';
  const rig = await startRig({
    redisDb: opts.redisDb,
    env: { ROTATOR_USAGE_GRACE: grace, ROTATOR_WORKER_CONCURRENCY: '8' },
  });
  try {
    const names = await seedKeyVaultSecrets(rig.store, 'late', opts.checkouts);
    await rig.startDaemon();
    const gap = opts.spreadMs / opts.checkouts;
    for (const name of names) {
      await rig.usage.add('checkout', {
        secret: name,
        actor: 'bench',
        reason: 'lateness bench',
        at: new Date().toISOString(),
        checkoutId: randomUUID(),
      });
      await sleep(gap);
    }
    await rig.waitForRotations(names.length);
    const jobs = (await rig.rotations.getJobs(['completed'], 0, -1)) as Array<Job<{ dueAt: string }>>;
    const late = jobs.map((job) => (job.processedOn ?? Number.NaN) - Date.parse(job.data.dueAt));
    return {
      checkouts: names.length,
      grace,
      spreadSeconds: round(opts.spreadMs / 1000),
      p50Ms: round(percentile(late, 50), 0),
      p99Ms: round(percentile(late, 99), 0),
      maxMs: round(Math.max(...late), 0),
      early: late.filter((ms) => ms < 0).length,
    };
  } finally {
    await rig.close();
  }
}
