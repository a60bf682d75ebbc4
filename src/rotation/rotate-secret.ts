import { RotatorError } from '../errors';
import { PENDING_TAGS, TAG } from '../tags';
import type { SecretWithValue } from '../vault';
import { generateValue, resolveLength } from './generate-value';
import { NO_VALUE_YET, pendingSecretName } from './pending-record';
import { assertCanPrepare, assertFenced, newFence, type Fence } from './fencing';
import { settlePending } from './recover-interrupted';
import type { LockLease } from './rotation-lock';
import { closePending } from './close-pending';
import { disableOlderVersions, retiresItsPredecessor } from './disable-old-versions';
import {
  assertCanRefuse,
  committedTags,
  lockSecret,
  misconfigured,
  resolveTarget,
  targetContext,
  verifyWithin,
} from './rotation-steps';
import type { AppliedCredential, RotationTarget, TargetContext } from './rotation-target';
import { overlapTags, retireOverlapping, retireReplaced, scheduleFor } from './retire-step';
import type { RetirementSummary, RotationDeps, RotationRequest, RotationResult } from './rotation-types';
import { isTriggerSatisfied } from './trigger';

async function step(
  deps: RotationDeps,
  name: Parameters<NonNullable<RotationDeps['onStep']>>[0],
  id: string | undefined,
): Promise<void> {
  await deps.onStep?.(name, id);
}

async function currentOrThrow(deps: RotationDeps, name: string): Promise<SecretWithValue> {
  const current = await deps.store.get(name);
  if (current === undefined) {
    throw new RotatorError('SECRET_NOT_FOUND', `${name} does not exist in ${deps.store.vaultUrl}`, {
      hint: 'check the name with `rotator status`; deleted secrets are dropped from the schedule by the next sweep',
      permanent: true,
    });
  }
  return current;
}

/** Writes the pending record before the target changes; returns its version (undefined for Key Vault-only targets). */
async function prepare(
  deps: RotationDeps,
  current: SecretWithValue,
  target: RotationTarget,
  value: string | undefined,
  stamp: { rotationId: string; reason: string; fence: Fence; seenVersion: string | undefined },
): Promise<string | undefined> {
  if (!target.external) return undefined;
  await assertCanPrepare(stamp.fence, stamp.seenVersion);
  const pending = await deps.store.set(pendingSecretName(current.name), value ?? NO_VALUE_YET, {
    contentType: 'application/x-rotator-pending',
    tags: {
      [PENDING_TAGS.for]: current.name,
      [PENDING_TAGS.state]: 'prepared',
      [PENDING_TAGS.baseVersion]: current.version,
      [PENDING_TAGS.hasValue]: value === undefined ? 'false' : 'true',
      [PENDING_TAGS.startedAt]: deps.clock.now().toISO() ?? '',
      [TAG.rotationId]: stamp.rotationId,
      [TAG.reason]: stamp.reason,
      [PENDING_TAGS.owner]: stamp.fence.owner,
    },
  });
  await step(deps, 'prepared', stamp.rotationId);
  return pending.version;
}

/** Applies the value in the target and verifies it there; a refusal keeps the pending record for the next attempt. */
async function applyAndVerify(
  deps: RotationDeps,
  current: SecretWithValue,
  target: RotationTarget,
  ctx: TargetContext,
  value: string | undefined,
  guard: () => Promise<void>,
): Promise<AppliedCredential> {
  await guard();
  const applied = await target.apply(ctx, value);
  await step(deps, 'applied', ctx.rotationId);
  const verdict = await verifyWithin(deps, target, ctx, applied.value);
  if (!verdict.accepted) {
    throw new RotatorError(
      'VERIFY_FAILED',
      `${current.name}: ${target.kind} refused the new credential at ${verdict.endpoint} (${verdict.reason})`,
      {
        hint: 'the pending record keeps the value; the next attempt finds out which credential is live and finishes or rolls back',
      },
    );
  }
  await step(deps, 'verified', ctx.rotationId);
  return applied;
}

/** Commits the new version, retires the old credential (or leaves it to overlap), then closes the pending record. */
async function commitAndRetire(
  deps: RotationDeps,
  current: SecretWithValue,
  target: RotationTarget,
  ctx: TargetContext,
  applied: AppliedCredential,
  stamp: { reason: string; pendingVersion: string | undefined; guard: () => Promise<void> },
): Promise<{ version: string; retirement: RetirementSummary }> {
  const { store } = deps;
  const rotationId = ctx.rotationId;
  const now = deps.clock.now();
  const overlapMs = ctx.schedule?.overlapMs ?? 0;
  const overlapEnd = overlapMs > 0 ? (now.plus(overlapMs).toUTC().toISO() ?? '') : undefined;
  await stamp.guard();
  if (target.kind === 'keyvault' && !retiresItsPredecessor(current)) {
    // At most one older credential stays readable: the replaced one, through its overlap. A version
    // the rotator committed carries the retirement of the one before it, and every version older than
    // that was disabled when it was committed (by induction), so only a version the rotator did not
    // commit (a first rotation, a value set by hand) can have more readable versions behind it; those
    // are disabled now, before the commit, so a crash after it cannot leave them readable.
    await disableOlderVersions(store, current.name, [current.version]);
  }
  // The pending retirement is written with the commit itself: no extra write.
  const committed = await store.set(current.name, applied.value, {
    contentType: current.contentType,
    tags: committedTags(current.tags, overlapTags(applied, current, overlapEnd), {
      rotatedAt: now.toISO() ?? '',
      reason: stamp.reason,
      rotationId,
    }),
  });
  await step(deps, 'committed', rotationId);
  const retirement = await retireReplaced(
    deps,
    target,
    ctx,
    { current, applied, committedVersion: committed.version },
    overlapEnd,
    stamp.guard,
  );
  if (stamp.pendingVersion !== undefined) {
    await closePending(store, pendingSecretName(current.name), stamp.pendingVersion, {
      for: current.name,
      state: 'committed',
      rotationId,
    });
    await step(deps, 'closed', rotationId);
  }
  return { version: committed.version, retirement };
}

/** Recovers an interrupted rotation, then rotates unless a rotation after the trigger already happened. */
async function rotateLocked(
  request: RotationRequest,
  deps: RotationDeps,
  lease: LockLease,
): Promise<RotationResult> {
  let current = await currentOrThrow(deps, request.secretName);
  const target = resolveTarget(deps, current);
  const fence = newFence(deps.store, pendingSecretName(current.name), lease);
  const settled = await settlePending(deps, target, current, fence);
  const recovered = settled.recovered;
  current = settled.current;
  const result = { recovery: recovered?.kind, target: target.kind };
  if (isTriggerSatisfied(current.tags[TAG.rotatedAt], request.triggeredAt)) {
    return {
      ...result,
      outcome: recovered === undefined ? 'satisfied' : 'recovered',
      rotationId: current.tags[TAG.rotationId],
      version: current.version,
    };
  }
  const rotationId = deps.newRotationId();
  // A bad rotation-overlap tag stops the rotation here, before anything changes.
  const schedule = scheduleFor(deps, request, current, target);
  const ctx = { ...targetContext(deps.store, current, rotationId, deps), schedule };
  await target.precheck?.(ctx);
  await assertCanRefuse(target, ctx);
  // Fenced as prepare is: no other run has written or opened a pending version since it was read.
  const quiet = async (): Promise<void> => {
    if (target.external) await assertCanPrepare(fence, settled.seenVersion);
  };
  const earlier = await retireOverlapping(deps, target, ctx, current, quiet);
  const value =
    target.policy === undefined ? undefined : generateValue(target.policy, lengthOf(current, target));
  const pendingVersion = await prepare(deps, current, target, value, {
    rotationId,
    reason: request.reason,
    fence,
    seenVersion: settled.seenVersion,
  });
  // Every write to the target or the managed secret is fenced on the pending version (fencing.ts).
  const guard = async (): Promise<void> => {
    if (pendingVersion !== undefined) await assertFenced(fence, pendingVersion);
  };
  const applied = await applyAndVerify(deps, current, target, ctx, value, guard);
  const { version, retirement } = await commitAndRetire(deps, current, target, ctx, applied, {
    reason: request.reason,
    pendingVersion,
    guard,
  });
  return {
    ...result,
    outcome: recovered === undefined ? 'rotated' : 'recovered',
    rotationId,
    version,
    retirement,
    ...(earlier === undefined ? {} : { overlapRetirement: earlier }),
  };
}

/**
 * One rotation of one secret, resumable at every step. The order is what keeps a credential from
 * being lost: the new value is written to the pending record in Key Vault before the target changes,
 * committed as the secret's new version only after the target accepts it, and the old credential is
 * retired only after that commit (or, with an overlap, by the follow-up once the overlap ends).
 */
export async function rotateSecret(request: RotationRequest, deps: RotationDeps): Promise<RotationResult> {
  const lease = await lockSecret(deps, request.secretName);
  try {
    await step(deps, 'locked', undefined);
    return await rotateLocked(request, deps, lease);
  } finally {
    await lease.release().catch(() => undefined);
  }
}

function lengthOf(secret: SecretWithValue, target: RotationTarget): number {
  if (target.policy === undefined) return 0;
  try {
    return resolveLength(target.policy, secret.tags[TAG.length]);
  } catch (error) {
    throw misconfigured(secret.name, (error as Error).message, `fix or remove the ${TAG.length} tag`);
  }
}
