/** Queue names: `usage-events` is the contract's; the others are ours. */
export const QUEUE = {
  rotations: 'rotations',
  usage: 'usage-events',
  sweeps: 'sweeps',
} as const;

/** The fixed key of the sweep's job scheduler: one per Redis, however many replicas upsert it. */
export const SWEEP_SCHEDULER_ID = 'vault-sweep';
