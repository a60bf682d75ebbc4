import { randomUUID } from 'node:crypto';
import { Duration } from 'luxon';
import { systemClock, type Clock } from '../../src/clock';
import { RedisRotationLock } from '../../src/locking';
import { retirePending, rotateSecret, type RotationDeps } from '../../src/rotation';
import { createKeyVaultTarget } from '../../src/targets/keyvault';
import { inBatches, type Rig } from './rig';

/** The rotation engine's dependencies for keyvault secrets, with the rotator's Redis lock: no queue, no worker. */
export function engineDeps(rig: Rig): RotationDeps {
  const keyvault = createKeyVaultTarget();
  return {
    store: rig.store,
    target: (kind) => (kind === 'keyvault' ? keyvault : undefined),
    lock: new RedisRotationLock(rig.redis, { prefix: rig.prefix }),
    clock: systemClock,
    newRotationId: randomUUID,
    verifyAttempts: 1,
    verifyDelayMs: 0,
    sleep: () => Promise.resolve(),
  };
}

/**
 * Brings keyvault secrets to the state a scheduled rotation meets in production: rotated once by the
 * rotator, and that rotation's follow-up done once its overlap ended (the replaced version disabled,
 * its proof on the current version). Run by the engine itself, before the daemon starts, with a clock
 * a year ahead for the follow-ups, so none of it is counted in what is measured after.
 */
export async function rotatedAndFollowedUp(
  rig: Rig,
  names: readonly string[],
  concurrency: number,
): Promise<void> {
  const later: Clock = { now: () => systemClock.now().plus(Duration.fromObject({ years: 1 })) };
  const deps = engineDeps(rig);
  const triggeredAt = systemClock.now();
  await inBatches(names, concurrency, async (secretName) => {
    const first = await rotateSecret({ secretName, reason: 'manual', triggeredAt }, deps);
    const retiredVersion = first.retirement?.version;
    if (retiredVersion === undefined) throw new Error(`${secretName}: the first rotation left no follow-up`);
    const followUp = await retirePending({ secretName, retiredVersion }, { ...deps, clock: later });
    if (followUp.outcome !== 'retired') throw new Error(`${secretName}: follow-up ${followUp.outcome}`);
  });
}
