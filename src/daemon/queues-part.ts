import { Queue } from 'bullmq';
import { Duration } from 'luxon';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock';
import type { Config } from '../config';
import {
  FleetSnapshotStore,
  OutcomeStore,
  QUEUE,
  RetirementScheduler,
  RotationScheduler,
  scheduleHorizon,
  type RotationJobData,
} from '../scheduling';
import type { DaemonPart } from './daemon-part';

export interface QueuesPart extends DaemonPart {
  rotations: Queue<RotationJobData>;
  sweeps: Queue;
  scheduler: RotationScheduler;
  outcomes: OutcomeStore;
  /** The last sweep's fleet figures in Redis, which every replica exports. */
  fleet: FleetSnapshotStore;
  /** The retirement follow-ups: delayed jobs on the rotations queue. */
  retirements: RetirementScheduler;
}

/** The queues the daemon adds to, and what keeps their per-secret index and outcomes. */
export function openQueues(
  redis: Redis,
  config: Pick<Config, 'queuePrefix' | 'maxAttempts' | 'sweepInterval'>,
  clock: Clock,
): QueuesPart {
  const prefix = config.queuePrefix;
  const rotations = new Queue<RotationJobData>(QUEUE.rotations, { connection: redis, prefix });
  const sweeps = new Queue(QUEUE.sweeps, { connection: redis, prefix });
  const horizon = scheduleHorizon(Duration.fromMillis(config.sweepInterval.ms));
  return {
    name: 'queues',
    rotations,
    sweeps,
    scheduler: new RotationScheduler(rotations, redis, prefix, clock, {
      attempts: config.maxAttempts,
      horizon,
    }),
    outcomes: new OutcomeStore(redis, prefix),
    fleet: new FleetSnapshotStore(redis, prefix),
    retirements: new RetirementScheduler(rotations, clock, config.maxAttempts, horizon),
    stop: async () => {
      await Promise.all([rotations.close(), sweeps.close()]);
    },
  };
}
