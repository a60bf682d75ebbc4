import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { runAdmitted, type AdmissionSpread, type RequestBudget } from '../budget';
import type { Clock } from '../clock';
import { RedisRotationLock } from '../locking';
import {
  retirePending,
  rotateSecret,
  type RetirementResult,
  type RotationDeps,
  type RotationResult,
  type TargetLookup,
} from '../rotation';
import type { RetireFn, RetirementScheduler, RotateFn } from '../scheduling';
import { findStore, type SecretStore } from '../vault';
import type { DaemonDeps } from './daemon-deps';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RunnerDeps {
  targets: TargetLookup;
  clock: Clock;
  /** The default rotation interval, which bounds an overlap (at most half of it). */
  defaultIntervalMs: number;
  /** Where a rotation's pending retirement becomes a delayed follow-up job. */
  retirements: RetirementScheduler;
  instrumentRotation?: DaemonDeps['instrumentRotation'];
  instrumentRetirement?: DaemonDeps['instrumentRetirement'];
  /** Every vault the daemon may read an admin connection from: the managed ones and the policy's. */
  readableStores?: readonly SecretStore[];
  /** Admits each rotation and retirement with one write slot of its vault, or postpones it (VAULT_BUDGET_EXHAUSTED). */
  budget?: RequestBudget;
  admissionSpread?: AdmissionSpread;
}

/**
 * The engine as the rotation worker calls it: with the Redis lock, the targets and the caller's
 * instrumentation; `rotate` for rotation jobs, `retire` for the retirement follow-ups.
 */
export function createRotationRunner(
  redis: Redis,
  prefix: string,
  deps: RunnerDeps,
): { rotate: RotateFn; retire: RetireFn } {
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
    defaultIntervalMs: deps.defaultIntervalMs,
  };
  // Admitted before the span: a job sent back to wait for its vault's budget has not started yet.
  const admitted = <T>(store: SecretStore, work: () => Promise<T>): Promise<T> =>
    runAdmitted(deps.budget, store.vaultUrl, work, deps.admissionSpread);
  const rotate: RotateFn = async (request, store, job) => {
    const run = (onStep?: RotationDeps['onStep']): Promise<RotationResult> =>
      rotateSecret(request, { ...engineDeps, store, onStep });
    const instrumented = (): Promise<RotationResult> =>
      deps.instrumentRotation === undefined ? run() : deps.instrumentRotation(run, request, job);
    const result = await admitted(store, instrumented);
    // Lost if the process dies right here: Key Vault's pending tag lets the next sweep add it again.
    if (result.retirement?.state === 'pending' && result.retirement.version !== undefined) {
      await deps.retirements.schedule({
        vault: store.vaultUrl,
        secret: request.secretName,
        version: result.retirement.version,
        at: result.retirement.at,
      });
    }
    return result;
  };
  const retire: RetireFn = (request, store, jobId) => {
    const run = (onStep?: RotationDeps['onStep']): Promise<RetirementResult> =>
      retirePending(request, { ...engineDeps, store, onStep });
    // A retirement writes to the vault too (disable, retirement tag): admitted like a rotation.
    return admitted(store, () =>
      deps.instrumentRetirement === undefined
        ? run()
        : deps.instrumentRetirement(run, { secret: request.secretName, vault: store.vaultUrl, jobId }),
    );
  };
  return { rotate, retire };
}
