/** Queue names: `usage-events` is the contract's; the others are ours. */
export const QUEUE = {
  rotations: 'rotations',
  usage: 'usage-events',
  sweeps: 'sweeps',
} as const;

/** The fixed key of the sweep's job scheduler: one per Redis, however many replicas upsert it. */
export const SWEEP_SCHEDULER_ID = 'vault-sweep';

/**
 * What the `rotations` queue keeps of a finished job, rotation or retirement follow-up alike. Completed
 * jobs are kept an hour (bounded in number) so re-adding the same trigger meanwhile is a no-op in Redis;
 * later, the engine's own check makes it one: a rotation committed at or after the trigger satisfies it
 * (scheduled: last rotation + 1 ms; usage: the checkout; recover: epoch), and a follow-up added again
 * finds its retirement proven. Kept for 14 days they cost Redis about a kilobyte per rotation. Failed
 * jobs stay 90 days, for `rotator jobs --failed` and `rotator retry`.
 */
export const FINISHED_JOB_RETENTION = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 90 * 24 * 3600 },
} as const;
