import type { DateTime } from 'luxon';
import type { Clock } from '../clock';
import type { SecretStore } from '../vault';
import type { RotationLock } from './rotation-lock';
import type { TargetLookup } from './rotation-target';

type RotationReason = 'scheduled' | 'usage' | 'manual' | 'recovery';

export interface RotationRequest {
  secretName: string;
  reason: Exclude<RotationReason, 'recovery'>;
  /** The trigger's time: a rotation committed at or after it satisfies the request. */
  triggeredAt: DateTime;
}

type RotationOutcome = 'rotated' | 'satisfied' | 'recovered';

export interface RotationResult {
  outcome: RotationOutcome;
  rotationId: string | undefined;
  /** The Key Vault version now current; never the value. */
  version: string | undefined;
  /** What recovery found, when a previous rotation had been interrupted. */
  recovery: 'committed-pending' | 'finished-commit' | 'rolled-back' | 'restored-previous' | undefined;
  /** The kind of target rotated, for telemetry. */
  target: string;
}

/**
 * The step boundaries, in the order a rotation passes them; reported so that crash tests can kill the
 * process exactly there. model/rotation.pml names its steps the same (a unit test holds them equal).
 */
export const ROTATION_STEPS = [
  'locked',
  'prepared',
  'applied',
  'verified',
  'committed',
  'retired',
  'closed',
] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface RotationDeps {
  store: SecretStore;
  target: TargetLookup;
  lock: RotationLock;
  clock: Clock;
  newRotationId(): string;
  /** Bounded verification: replication lag in directories makes a fresh credential fail for a while. */
  verifyAttempts: number;
  sleep(ms: number): Promise<void>;
  verifyDelayMs: number;
  onStep?(step: RotationStep, rotationId: string | undefined): void | Promise<void>;
  /**
   * Stores of other vaults that may hold admin connections (the target policy names them); a
   * `rotation-connection` pointing at a vault without a store here is refused.
   */
  connectionStore?(vaultUrl: string): SecretStore | undefined;
}
