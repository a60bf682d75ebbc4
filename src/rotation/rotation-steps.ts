import { randomBytes } from 'node:crypto';
import { RotatorError } from '../errors';
import { CREDENTIAL_TAGS, PER_VERSION_TAGS, TAG } from '../tags';
import type { SecretStore, SecretWithValue } from '../vault';
import type { RotationTarget, TargetContext, VerifyOutcome } from './rotation-target';
import { normalizeVaultUrl, parseSecretReference, describeReference } from '../vault/secret-reference';
import type { LockLease } from './rotation-lock';
import type { RotationDeps } from './rotation-types';

export function credentialTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => CREDENTIAL_TAGS.includes(k)));
}

/** The per-secret lease a rotation and a retirement both hold; another holder means "retry later". */
export async function lockSecret(deps: RotationDeps, secretName: string): Promise<LockLease> {
  const lease = await deps.lock.acquire(`${deps.store.vaultUrl}|${secretName.toLowerCase()}`);
  if (lease === undefined) {
    throw new RotatorError('ROTATION_LOCKED', `${secretName} is being rotated by another worker`, {
      hint: 'nothing to do: the job is retried after the other rotation ends',
    });
  }
  return lease;
}

export function misconfigured(name: string, message: string, hint: string): RotatorError {
  return new RotatorError('SECRET_MISCONFIGURED', `${name}: ${message}`, { hint, permanent: true });
}

export function resolveTarget(deps: RotationDeps, secret: SecretWithValue): RotationTarget {
  const kind = secret.tags[TAG.target] ?? '';
  const target = deps.target(kind);
  if (target === undefined) {
    const kinds = deps.target.kinds;
    throw misconfigured(
      secret.name,
      `${TAG.target} '${kind}' is not a supported target`,
      kinds === undefined
        ? 'tag it with a kind this daemon supports'
        : `tag it with one of ${kinds.join(', ')}`,
    );
  }
  const missing = target.requiredTags.filter((tag) => (secret.tags[tag] ?? '').trim() === '');
  if (missing.length > 0) {
    throw misconfigured(
      secret.name,
      `missing tag ${missing.join(', ')}`,
      `add ${missing.join(', ')} for a ${target.kind} target`,
    );
  }
  return target;
}

/** The store that holds a referenced secret: this vault's, or another the deps name; refused otherwise. */
function storeFor(
  store: SecretStore,
  secret: SecretWithValue,
  reference: string,
  deps: Pick<RotationDeps, 'connectionStore'> | undefined,
): { store: SecretStore; name: string } {
  const ref = parseSecretReference(reference, store.vaultUrl);
  if (ref.vaultUrl === normalizeVaultUrl(store.vaultUrl)) return { store, name: ref.name };
  const other = deps?.connectionStore?.(ref.vaultUrl);
  if (other === undefined) {
    throw misconfigured(
      secret.name,
      `${describeReference(ref)} is in a vault the daemon has no access to`,
      'name that vault in the target policy (a postgres server connection), or keep the secret in the same vault',
    );
  }
  return { store: other, name: ref.name };
}

export function targetContext(
  store: SecretStore,
  secret: SecretWithValue,
  rotationId: string,
  deps?: Pick<RotationDeps, 'connectionStore'>,
): TargetContext {
  // One read per sibling per rotation: precheck, apply, verify and retire all need the admin
  // connection, and each extra GET counts against the vault's request budget (see BENCHMARKS.md).
  const siblings = new Map<string, Promise<string | undefined>>();
  const readSibling = (reference: string): Promise<string | undefined> => {
    const key = reference.toLowerCase();
    let read = siblings.get(key);
    if (read === undefined) {
      read = Promise.resolve()
        .then(() => storeFor(store, secret, reference, deps))
        .then(({ store: holder, name }) => holder.get(name))
        .then((found) => found?.value);
      // A failed read is not remembered: the next step tries again.
      read.catch(() => siblings.delete(key));
      siblings.set(key, read);
    }
    return read;
  };
  return { secretName: secret.name, vaultUrl: store.vaultUrl, tags: secret.tags, rotationId, readSibling };
}

export async function verifyWithin(
  deps: RotationDeps,
  target: RotationTarget,
  ctx: TargetContext,
  value: string,
): Promise<VerifyOutcome> {
  let last: VerifyOutcome = { accepted: false, reason: 'not checked', endpoint: target.kind };
  for (let attempt = 1; attempt <= deps.verifyAttempts; attempt += 1) {
    last = await target.verify(ctx, value);
    if (last.accepted) return last;
    if (attempt < deps.verifyAttempts) await deps.sleep(deps.verifyDelayMs);
  }
  return last;
}

/** A credential no target can hold: random, and marked so that nobody mistakes it for a real one. */
function wrongCredential(): string {
  return `rotator-probe-${randomBytes(24).toString('base64url')}-Aa1!`;
}

/**
 * A verdict proves something only if the target could have said "no". Before any change (and before
 * recovery trusts a verdict), a random wrong credential must be refused; a target that accepts it
 * (a PostgreSQL server whose pg_hba trusts the connection, say) stops the rotation for good.
 */
export async function assertCanRefuse(target: RotationTarget, ctx: TargetContext): Promise<void> {
  if (!target.external) return;
  const wrong = wrongCredential();
  const outcome =
    target.verifyOnce === undefined ? await target.verify(ctx, wrong) : await target.verifyOnce(ctx, wrong);
  if (!outcome.accepted) return;
  throw new RotatorError(
    'TARGET_CANNOT_VERIFY',
    `${ctx.secretName}: ${target.kind} accepted a random wrong credential, so no verification could fail`,
    {
      hint: 'make the target check passwords (e.g. scram-sha-256 instead of trust in pg_hba.conf for the rotator host), then `rotator retry`; nothing was changed',
      permanent: true,
    },
  );
}

/** The tags of a committed version: the operator's tags, minus what described the previous version. */
export function committedTags(
  previous: Readonly<Record<string, string>>,
  extra: Record<string, string>,
  stamp: { rotatedAt: string; reason: string; rotationId: string },
): Record<string, string> {
  const kept = Object.fromEntries(Object.entries(previous).filter(([k]) => !PER_VERSION_TAGS.includes(k)));
  return {
    ...kept,
    ...extra,
    [TAG.rotatedAt]: stamp.rotatedAt,
    [TAG.reason]: stamp.reason,
    [TAG.rotationId]: stamp.rotationId,
  };
}
