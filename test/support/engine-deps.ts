import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { systemClock } from '../../src/clock';
import { RedisRotationLock } from '../../src/locking';
import type { RotationDeps, RotationTarget, TargetLookup } from '../../src/rotation';
import type { SecretStore } from '../../src/vault';

/**
 * The rotation engine's dependencies as the integration tests wire them: the real Redis lease under
 * the test's own `prefix` (5 s, so a test that abandons one frees it soon), the system clock, a fresh
 * rotation id each time and verification that retries without waiting. `overrides` replace any of it.
 */
export function engineTestDeps(
  wiring: { store: SecretStore; redis: Redis; prefix: string; target: TargetLookup },
  overrides: Partial<RotationDeps> = {},
): RotationDeps {
  return {
    store: wiring.store,
    target: wiring.target,
    lock: new RedisRotationLock(wiring.redis, { prefix: wiring.prefix, leaseMs: 5_000 }),
    clock: systemClock,
    newRotationId: () => randomUUID(),
    verifyAttempts: 2,
    verifyDelayMs: 1,
    sleep: () => Promise.resolve(),
    ...overrides,
  };
}

/** A target lookup from kind to target, for the few kinds a test rotates. */
export function targetsByKind(targets: Partial<Record<string, RotationTarget>>): TargetLookup {
  return (kind) => targets[kind];
}
