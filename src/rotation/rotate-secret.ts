import { RotatorError } from '../errors';
import { PENDING_TAGS, TAG } from '../tags';
import type { SecretWithValue } from '../vault';
import { generateValue, resolveLength } from './generate-value';
import { NO_VALUE_YET, pendingSecretName } from './pending-record';
import { recoverInterrupted } from './recover-interrupted';
import { committedTags, misconfigured, resolveTarget, targetContext, verifyWithin } from './rotation-steps';
import type { RotationTarget } from './rotation-target';
import type { RotationDeps, RotationRequest, RotationResult } from './rotation-types';
import { isTriggerSatisfied } from './trigger';

async function step(
  deps: RotationDeps,
  name: Parameters<NonNullable<RotationDeps['onStep']>>[0],
  id: string | undefined,
): Promise<void> {
  await deps.onStep?.(name, id);
}

/**
 * One rotation of one secret, resumable at every step. The order is what keeps a credential from
 * being lost: the new value is written to the pending record in Key Vault before the target changes,
 * committed as the secret's new version only after the target accepts it, and the old credential is
 * retired only after that commit.
 */
export async function rotateSecret(request: RotationRequest, deps: RotationDeps): Promise<RotationResult> {
  const { store } = deps;
  const lease = await deps.lock.acquire(`${store.vaultUrl}|${request.secretName.toLowerCase()}`);
  if (lease === undefined) {
    throw new RotatorError('ROTATION_LOCKED', `${request.secretName} is being rotated by another worker`, {
      hint: 'nothing to do: the job is retried after the other rotation ends',
    });
  }
  try {
    await step(deps, 'locked', undefined);
    let current = await store.get(request.secretName);
    if (current === undefined) {
      throw new RotatorError(
        'SECRET_NOT_FOUND',
        `${request.secretName} does not exist in ${store.vaultUrl}`,
        {
          hint: 'check the name with `rotator status`; deleted secrets are dropped from the schedule by the next sweep',
          permanent: true,
        },
      );
    }
    const target = resolveTarget(deps, current);
    const recovered = await recoverInterrupted(deps, target, current);
    if (recovered !== undefined) current = recovered.current;
    if (isTriggerSatisfied(current.tags[TAG.rotatedAt], request.triggeredAt)) {
      return {
        outcome: recovered === undefined ? 'satisfied' : 'recovered',
        rotationId: current.tags[TAG.rotationId],
        version: current.version,
        recovery: recovered?.kind,
        target: target.kind,
      };
    }

    const rotationId = deps.newRotationId();
    const ctx = targetContext(store, current, rotationId);
    await target.precheck?.(ctx);
    const value =
      target.policy === undefined ? undefined : generateValue(target.policy, lengthOf(current, target));
    const pendingName = pendingSecretName(current.name);
    let pendingVersion: string | undefined;
    if (target.external) {
      const pending = await store.set(pendingName, value ?? NO_VALUE_YET, {
        contentType: 'application/x-rotator-pending',
        tags: {
          [PENDING_TAGS.for]: current.name,
          [PENDING_TAGS.state]: 'prepared',
          [PENDING_TAGS.baseVersion]: current.version,
          [PENDING_TAGS.hasValue]: value === undefined ? 'false' : 'true',
          [PENDING_TAGS.startedAt]: deps.clock.now().toISO() ?? '',
          [TAG.rotationId]: rotationId,
          [TAG.reason]: request.reason,
        },
      });
      pendingVersion = pending.version;
      await step(deps, 'prepared', rotationId);
    }

    const applied = await target.apply(ctx, value);
    await step(deps, 'applied', rotationId);
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
    await step(deps, 'verified', rotationId);

    const committed = await store.set(current.name, applied.value, {
      contentType: current.contentType,
      tags: committedTags(current.tags, applied.tags, {
        rotatedAt: deps.clock.now().toISO() ?? '',
        reason: request.reason,
        rotationId,
      }),
    });
    await step(deps, 'committed', rotationId);
    await target.retire(ctx, current.tags, applied);
    await step(deps, 'retired', rotationId);
    if (pendingVersion !== undefined) {
      await store.updateProperties(pendingName, pendingVersion, {
        tags: {
          [PENDING_TAGS.for]: current.name,
          [PENDING_TAGS.state]: 'committed',
          [TAG.rotationId]: rotationId,
        },
      });
      await step(deps, 'closed', rotationId);
    }
    return {
      outcome: recovered === undefined ? 'rotated' : 'recovered',
      rotationId,
      version: committed.version,
      recovery: recovered?.kind,
      target: target.kind,
    };
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
