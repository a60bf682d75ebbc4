import type { DateTime } from 'luxon';
import type { Clock } from '../clock';
import type { SecretStore } from '../vault';
import type { RotationLock } from './rotation-lock';
import type { TargetLookup } from './rotation-target';

export type RotationReason = 'scheduled' | 'usage' | 'manual' | 'recovery';

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
  /**
   * What became of the credential this rotation replaced: `pending` while it overlaps (until `at`),
   * `proven`/`unproven` once retired and checked. Absent when nothing was replaced (satisfied).
   */
  retirement?: RetirementSummary;
  /** The retirement of an older credential that was still overlapping when this rotation began. */
  overlapRetirement?: RetirementSummary;
}

export interface RetirementSummary {
  state: 'pending' | 'proven' | 'unproven';
  /** ISO-8601: the overlap's end (pending) or the time of the proof. */
  at: string;
  /** The Key Vault version of the credential retired (or to be retired). */
  version?: string;
  check?: string;
  reason?: string;
}

/**
 * The step boundaries, in the order a rotation passes them; reported so that crash tests can kill the
 * process exactly there. model/rotation.pml names its steps the same (a unit test holds them equal).
 * `overlap-retired`: a credential still overlapping behind the current one was retired before this
 * rotation prepares; `proved`: the retired credential's proof is recorded in Key Vault.
 */
export const ROTATION_STEPS = [
  'locked',
  'overlap-retired',
  'prepared',
  'applied',
  'verified',
  'committed',
  'retired',
  'proved',
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
  /** The configured rotation interval (a secret's rotation-interval tag overrides it); bounds overlaps. */
  defaultIntervalMs?: number;
  /** Bounded proof of retirement: attempts and the pause between them (default: the verify ones). */
  proofAttempts?: number;
  proofDelayMs?: number;
}
