import { RotatorError } from '../errors';
import { PER_VERSION_TAGS, TAG } from '../tags';
import type { SecretStore, SecretWithValue } from '../vault';
import type { RotationTarget, TargetContext, VerifyOutcome } from './rotation-target';
import type { RotationDeps } from './rotation-types';

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

export function targetContext(
  store: SecretStore,
  secret: SecretWithValue,
  rotationId: string,
): TargetContext {
  // One read per sibling per rotation: precheck, apply, verify and retire all need the admin
  // connection, and each extra GET counts against the vault's request budget (see BENCHMARKS.md).
  const siblings = new Map<string, Promise<string | undefined>>();
  const readSibling = (name: string): Promise<string | undefined> => {
    const key = name.toLowerCase();
    let read = siblings.get(key);
    if (read === undefined) {
      read = store.get(name).then((found) => found?.value);
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
