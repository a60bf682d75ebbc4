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
}

/** What `apply` leaves behind: the value now live (targets like Entra apps generate it themselves) and tags to commit. */
export interface AppliedCredential {
  value: string;
  /** Extra tags for the committed Key Vault version, e.g. `rotation-key-id` of an Entra app password. */
  tags: Record<string, string>;
}

export type VerifyOutcome = { accepted: true } | { accepted: false; reason: string; endpoint: string };

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
}

/** Finds the target of a kind; undefined for a kind this build does not support. */
export interface TargetLookup {
  (kind: string): RotationTarget | undefined;
  /** The kinds it knows, named in the error for an unknown one (the registry's list). */
  readonly kinds?: readonly string[];
}
