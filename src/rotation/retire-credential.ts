import type { AppliedCredential, ProofOutcome, RotationTarget, TargetContext } from './rotation-target';
import type { SecretProperties, SecretStore } from '../vault';
import { formatRetirement, RETIREMENT_TAG, type RetirementRecord } from './retirement-record';
import type { RetirementSummary, RotationDeps } from './rotation-types';

/** What retiring one credential showed: `proven` only when every check says it is refused. */
export interface RetirementProof {
  state: 'proven' | 'unproven';
  /** The retired credential's Key Vault version. */
  version: string;
  /** What was checked, e.g. "key id gone; token request refused (AADSTS7000215); version disabled". */
  check: string;
  reason?: string;
  at: string;
}

async function findVersion(
  store: SecretStore,
  name: string,
  version: string,
): Promise<SecretProperties | undefined> {
  for await (const props of store.listVersions(name)) if (props.version === version) return props;
  return undefined;
}

async function proveWithin(deps: RotationDeps, prove: () => Promise<ProofOutcome>): Promise<ProofOutcome> {
  const attempts = deps.proofAttempts ?? deps.verifyAttempts;
  let last: ProofOutcome = { proven: false, reason: 'not checked', check: 'none' };
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      last = await prove();
    } catch (error) {
      last = {
        proven: false,
        reason: error instanceof Error ? error.message : 'check failed',
        check: 'error',
      };
    }
    if (last.proven) return last;
    // Directories replicate: a removed secret or a reset password can work for a while elsewhere.
    if (attempt < attempts) await deps.sleep(deps.proofDelayMs ?? deps.verifyDelayMs);
  }
  return last;
}

/**
 * Retires one credential and checks that it is dead: the target removes it (idempotent), the target
 * proves it refused within a bounded window, and its Key Vault version is disabled, so nobody reads
 * it again. Every step may be repeated after a crash; only the value may be gone by then (an earlier
 * attempt disabled the version), and the proof then says so.
 */
export async function retireVersion(
  deps: RotationDeps,
  target: RotationTarget,
  ctx: TargetContext,
  version: string,
  committed: AppliedCredential,
  /** The version's properties and value when the caller has them (saves two vault reads). */
  known?: SecretProperties & { value: string },
): Promise<RetirementProof> {
  const { store } = deps;
  const props = known ?? (await findVersion(store, ctx.secretName, version));
  const tags = props?.tags ?? {};
  const readValue = async (): Promise<string | undefined> =>
    known?.value ?? (props?.enabled === true ? (await store.get(ctx.secretName, version))?.value : undefined);
  const value = target.prove === undefined ? undefined : await readValue();
  await target.retire(ctx, tags, committed);
  const checks: string[] = [];
  let reason: string | undefined;
  if (target.prove !== undefined) {
    const prove = target.prove.bind(target);
    const outcome = await proveWithin(deps, () => prove(ctx, { tags, value }));
    checks.push(outcome.check);
    if (!outcome.proven) reason = outcome.reason;
  }
  if (props === undefined) {
    checks.push('version not found');
  } else {
    const after = props.enabled
      ? await store.updateProperties(ctx.secretName, version, { enabled: false })
      : props;
    checks.push(after.enabled ? 'version still enabled' : 'version disabled');
    if (after.enabled) reason ??= 'Key Vault still reports the version enabled';
  }
  return {
    state: reason === undefined ? 'proven' : 'unproven',
    version,
    check: checks.join('; '),
    ...(reason === undefined ? {} : { reason }),
    at: deps.clock.now().toISO() ?? '',
  };
}

/**
 * Writes the retirement record on a version, re-reading its tags just before, so that a checkout
 * recorded meanwhile (`checked-out-at`) is kept.
 */
export async function recordRetirement(
  store: SecretStore,
  name: string,
  version: string,
  record: RetirementRecord,
): Promise<void> {
  const props = await findVersion(store, name, version);
  const tags = { ...(props?.tags ?? {}), [RETIREMENT_TAG]: formatRetirement(record) };
  await store.updateProperties(name, version, { tags });
}

/** `reason` only when there is one: records and summaries carry no empty field. */
export function withReason<T extends object>(base: T, reason: string | undefined): T & { reason?: string } {
  return reason === undefined ? base : { ...base, reason };
}

/** What the caller is told of a proof (the job result, telemetry). */
export function proofSummary(proof: RetirementProof): RetirementSummary {
  return withReason({ state: proof.state, at: proof.at, check: proof.check }, proof.reason);
}

export function proofRecord(proof: RetirementProof): RetirementRecord {
  return withReason({ state: proof.state, at: proof.at, version: proof.version }, proof.reason);
}
