import type { GenerationPolicy } from './generate-value';

/**
 * The port through which the engine changes a credential outside Key Vault. It lives in the core,
 * beside the lock port; each `src/targets/<kind>/` implements it and the registry hands them in.
 */

/** Everything a target learns about the secret it rotates; never a value it should not need. */
export interface TargetContext {
  secretName: string;
  vaultUrl: string;
  /** All tags of the secret's current version (rotation-account, rotation-connection, …). */
  tags: Readonly<Record<string, string>>;
  rotationId: string;
  /**
   * Reads another secret (e.g. the admin connection string named by rotation-connection): a name in
   * the same vault, `VAULTNAME/NAME` or `https://VAULT/secrets/NAME` in a vault only the daemon reads.
   */
  readSibling(reference: string): Promise<string | undefined>;
  /** This rotation's schedule: targets that date credentials (Entra app secrets) end them from it. */
  schedule?: { intervalMs: number; overlapMs: number };
}

/** What `apply` leaves behind: the value now live (targets like Entra apps generate it themselves) and tags to commit. */
export interface AppliedCredential {
  value: string;
  /** Extra tags for the committed Key Vault version, e.g. `rotation-key-id` of an Entra app password. */
  tags: Record<string, string>;
}

/** `tags`: what the accepted credential needs recorded, e.g. which alternating login took it. */
export type VerifyOutcome =
  { accepted: true; tags?: Record<string, string> } | { accepted: false; reason: string; endpoint: string };

/** A credential that has just been retired: its Key Vault version's tags, and its value while readable. */
export interface RetiredCredential {
  tags: Readonly<Record<string, string>>;
  /** Undefined when an interrupted retirement already disabled its Key Vault version. */
  value: string | undefined;
}

/** Whether a check showed the retired credential refused, and what was checked (never a value). */
export type ProofOutcome = { proven: true; check: string } | { proven: false; reason: string; check: string };

/**
 * One target system. The engine calls: apply → verify → (commit in Key Vault) → retire.
 * Every method must be idempotent: after a crash the engine may call any of them again.
 */
export interface RotationTarget {
  /** The `rotation-target` tag value this target serves. */
  readonly kind: string;
  /** Undefined when the target generates the value itself (Entra app passwords). */
  readonly policy: GenerationPolicy | undefined;
  /** Whether the target changes outside Key Vault, so that a pending value must be stored first. */
  readonly external: boolean;
  /** Tags this target requires, checked before anything changes (a missing one is a permanent error). */
  readonly requiredTags: readonly string[];
  /**
   * Checks, without changing anything, that apply can work (connection secret readable, account
   * exists), so a misconfigured secret fails before the pending record is written.
   */
  precheck?(ctx: TargetContext): Promise<void>;
  apply(ctx: TargetContext, newValue: string | undefined): Promise<AppliedCredential>;
  verify(ctx: TargetContext, value: string): Promise<VerifyOutcome>;
  /**
   * One verification attempt, without waiting out replication lag. The engine uses it to prove the
   * target can say "no" (a random wrong credential must be refused); `verify` when absent.
   */
  verifyOnce?(ctx: TargetContext, value: string): Promise<VerifyOutcome>;
  /** Retires the previous credential where the target holds several; `previousTags` are the old version's tags. */
  retire(
    ctx: TargetContext,
    previousTags: Readonly<Record<string, string>>,
    committed: AppliedCredential,
  ): Promise<void>;
  /**
   * How long, by default, the previous credential may stay valid after a scheduled or manual
   * rotation; absent when the target holds one credential only (no overlap is possible).
   */
  readonly overlapDefaultMs?: number | ((tags: Readonly<Record<string, string>>) => number | undefined);
  /**
   * After retire: checks once that the retired credential is refused (the engine retries within a
   * bounded window for replication). Absent: Key Vault alone holds it, and the disabled version is the proof.
   */
  prove?(ctx: TargetContext, retired: RetiredCredential): Promise<ProofOutcome>;
}

/** Finds the target of a kind; undefined for a kind this build does not support. */
export interface TargetLookup {
  (kind: string): RotationTarget | undefined;
  /** The kinds it knows, named in the error for an unknown one (the registry's list). */
  readonly kinds?: readonly string[];
}
