import { DateTime } from 'luxon';
import { TAG } from '../tags';
import { assertCanPrepare, newFence } from './fencing';
import { intervalOf } from './overlap';
import { pendingSecretName } from './pending-record';
import { parseRetirement, RETIREMENT_TAG } from './retirement-record';
import { proofRecord, proofSummary, recordRetirement, retireVersion } from './retire-credential';
import { credentialTags, lockSecret, resolveTarget, targetContext } from './rotation-steps';
import type { RetirementSummary, RotationDeps } from './rotation-types';

export interface RetirementRequest {
  secretName: string;
  /** The version to retire, as the current version's rotation-retirement tag names it. */
  retiredVersion: string;
}

export interface RetirementResult {
  /** `retired` with its proof; `not-due` before the overlap ends; `satisfied` when nothing is left to do. */
  outcome: 'retired' | 'not-due' | 'satisfied';
  rotationId: string | undefined;
  target: string | undefined;
  retirement?: RetirementSummary;
}

/**
 * The follow-up of a rotation with overlap: once the overlap has ended, retire the previous
 * credential, prove it refused and record the proof on the current version. Driven only by Key Vault
 * state (the `rotation-retirement` tag), so a lost or repeated job changes nothing: the sweep re-adds
 * it, a second run finds the proof recorded. An `unproven` retirement is tried again the same way.
 */
export async function retirePending(
  request: RetirementRequest,
  deps: RotationDeps,
): Promise<RetirementResult> {
  const { store } = deps;
  const lease = await lockSecret(deps, request.secretName);
  try {
    const current = await store.get(request.secretName);
    const record = parseRetirement(current?.tags[RETIREMENT_TAG]);
    const rotationId = current?.tags[TAG.rotationId];
    if (
      current === undefined ||
      record === undefined ||
      record.state === 'proven' ||
      record.version !== request.retiredVersion
    ) {
      return { outcome: 'satisfied', rotationId, target: undefined };
    }
    const target = resolveTarget(deps, current);
    if (record.state === 'pending' && DateTime.fromISO(record.at, { zone: 'utc' }) > deps.clock.now()) {
      return {
        outcome: 'not-due',
        rotationId,
        target: target.kind,
        retirement: { state: 'pending', at: record.at },
      };
    }
    // Fenced as a rotation's prepare is: no rotation has opened (or written) a pending version since
    // this run read the record, so the credential retired here is not one a rotation in flight uses.
    const fence = newFence(store, pendingSecretName(current.name), lease);
    const seen = target.external ? (await store.get(fence.pendingName))?.version : undefined;
    const guard = async (): Promise<void> => {
      if (target.external) await assertCanPrepare(fence, seen);
    };
    const ctx = {
      ...targetContext(store, current, rotationId ?? 'unknown', deps),
      schedule: { intervalMs: intervalOf(current.tags, deps.defaultIntervalMs ?? 0), overlapMs: 0 },
    };
    await guard();
    const proof = await retireVersion(deps, target, ctx, record.version, {
      value: current.value,
      tags: credentialTags(current.tags),
    });
    await deps.onStep?.('retired', rotationId);
    await guard();
    await recordRetirement(store, current.name, current.version, proofRecord(proof));
    await deps.onStep?.('proved', rotationId);
    return { outcome: 'retired', rotationId, target: target.kind, retirement: proofSummary(proof) };
  } finally {
    await lease.release().catch(() => undefined);
  }
}
