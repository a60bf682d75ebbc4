import { RotatorError } from '../errors';
import { PENDING_TAGS, preparedPendingFor, TAG } from '../tags';
import type { SecretWithValue } from '../vault';
import { pendingSecretName, type PendingState } from './pending-record';
import { committedTags, targetContext, verifyWithin } from './rotation-steps';
import type { RotationTarget } from './rotation-target';
import type { RotationDeps, RotationResult } from './rotation-types';

interface Recovered {
  current: SecretWithValue;
  kind: NonNullable<RotationResult['recovery']>;
}

/** How many older versions recovery tries before it gives up and quarantines the secret. */
const PREVIOUS_VERSIONS_TRIED = 5;

function keyIdTags(secret: SecretWithValue): Record<string, string> {
  const keyId = secret.tags[TAG.keyId];
  return keyId === undefined ? {} : { [TAG.keyId]: keyId };
}

/**
 * Finishes or rolls back a rotation that a crash interrupted. The target is asked which credential it
 * accepts — pending, then current, then older versions — and Key Vault is made to hold that one. A
 * fresh value is generated only after this has proven the pending one is not live.
 */
export async function recoverInterrupted(
  deps: RotationDeps,
  target: RotationTarget,
  current: SecretWithValue,
): Promise<Recovered | undefined> {
  if (!target.external) return undefined;
  const { store } = deps;
  const pendingName = pendingSecretName(current.name);
  const pending = await store.get(pendingName);
  if (pending === undefined || !pending.enabled || preparedPendingFor(pending.tags) === undefined)
    return undefined;
  const rotationId = pending.tags[TAG.rotationId] ?? 'unknown';
  const ctx = targetContext(store, current, rotationId);
  const close = async (state: PendingState): Promise<void> => {
    await store.updateProperties(pendingName, pending.version, {
      tags: { [PENDING_TAGS.for]: current.name, [PENDING_TAGS.state]: state, [TAG.rotationId]: rotationId },
    });
  };
  const commit = async (value: string, extra: Record<string, string>): Promise<SecretWithValue> => {
    const props = await store.set(current.name, value, {
      contentType: current.contentType,
      tags: committedTags(current.tags, extra, {
        rotatedAt: deps.clock.now().toISO() ?? '',
        reason: 'recovery',
        rotationId,
      }),
    });
    return { ...props, value };
  };

  if (current.tags[TAG.rotationId] === rotationId) {
    // Crashed after the commit: only the old credential's retirement and the record's closing remain.
    const baseVersion = pending.tags[PENDING_TAGS.baseVersion];
    const previous =
      baseVersion === undefined
        ? undefined
        : await store.get(current.name, baseVersion).catch(() => undefined);
    await target.retire(ctx, previous?.tags ?? {}, { value: current.value, tags: keyIdTags(current) });
    await close('committed');
    return { current, kind: 'finished-commit' };
  }

  if (
    pending.tags[PENDING_TAGS.hasValue] === 'true' &&
    (await verifyWithin(deps, target, ctx, pending.value)).accepted
  ) {
    const committed = await commit(pending.value, {});
    await target.retire(ctx, current.tags, { value: pending.value, tags: {} });
    await close('committed');
    return { current: committed, kind: 'committed-pending' };
  }

  if ((await verifyWithin(deps, target, ctx, current.value)).accepted) {
    // The target never took the new value (or, for targets that hold several, took one we drop now).
    await target.retire(ctx, {}, { value: current.value, tags: keyIdTags(current) });
    await close('rolled-back');
    return { current, kind: 'rolled-back' };
  }

  const older: { version: string; createdOn: number }[] = [];
  for await (const props of store.listVersions(current.name)) {
    if (props.version !== current.version && props.enabled)
      older.push({ version: props.version, createdOn: props.createdOn?.getTime() ?? 0 });
  }
  older.sort((a, b) => b.createdOn - a.createdOn);
  for (const { version } of older.slice(0, PREVIOUS_VERSIONS_TRIED)) {
    const candidate = await store.get(current.name, version).catch(() => undefined);
    if (candidate !== undefined && (await verifyWithin(deps, target, ctx, candidate.value)).accepted) {
      const restored = await commit(candidate.value, keyIdTags(candidate));
      await close('rolled-back');
      return { current: restored, kind: 'restored-previous' };
    }
  }
  throw new RotatorError(
    'ROTATION_UNRECOVERABLE',
    `${current.name}: ${target.kind} accepts neither the pending, the current nor the ${PREVIOUS_VERSIONS_TRIED} previous values`,
    {
      hint: `the secret is quarantined; set a working credential in the target and Key Vault by hand, then \`rotator retry\` (pending record: ${pendingName})`,
      permanent: true,
    },
  );
}
