import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock';
import { RedisRotationLock } from '../locking';
import { rotateSecret, type RotationDeps, type RotationResult, type TargetLookup } from '../rotation';
import type { RotateFn } from '../scheduling';
import { findStore, type SecretStore } from '../vault';
import type { DaemonDeps } from './daemon-deps';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The engine as the rotation worker calls it: with the Redis lock, the targets and the caller's instrumentation. */
export function createRotationRunner(
  redis: Redis,
  prefix: string,
  deps: {
    targets: TargetLookup;
    clock: Clock;
    instrumentRotation?: DaemonDeps['instrumentRotation'];
    /** Every vault the daemon may read an admin connection from: the managed ones and the policy's. */
    readableStores?: readonly SecretStore[];
  },
): RotateFn {
  const readable = deps.readableStores ?? [];
  const engineDeps: Omit<RotationDeps, 'store'> = {
    target: deps.targets,
    lock: new RedisRotationLock(redis, { prefix }),
    clock: deps.clock,
    newRotationId: () => randomUUID(),
    connectionStore: (url) => findStore(readable, url),
    verifyAttempts: 5,
    verifyDelayMs: 1_000,
    sleep,
  };
  return (request, store, job) => {
    const run = (onStep?: RotationDeps['onStep']): Promise<RotationResult> =>
      rotateSecret(request, { ...engineDeps, store, onStep });
    return deps.instrumentRotation === undefined ? run() : deps.instrumentRotation(run, request, job);
  };
}
