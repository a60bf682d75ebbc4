import type { SecretWithValue } from '../vault';
import { intervalOf, overlapFor } from './overlap';
import { formatRetirement, parseRetirement, RETIREMENT_TAG } from './retirement-record';
import { proofRecord, proofSummary, recordRetirement, retireVersion } from './retire-credential';
import { credentialTags } from './rotation-steps';
import type { AppliedCredential, RotationTarget, TargetContext } from './rotation-target';
import type { RetirementSummary, RotationDeps, RotationRequest, RotationStep } from './rotation-types';

/** P13D, the contract's default interval, when the daemon passes none. */
const DEFAULT_INTERVAL_MS = 13 * 24 * 3600 * 1000;

export interface Schedule {
  intervalMs: number;
  overlapMs: number;
}

/** This rotation's interval and overlap; a bad rotation-overlap tag throws here, before anything changes. */
export function scheduleFor(
  deps: RotationDeps,
  request: RotationRequest,
  current: SecretWithValue,
  target: RotationTarget,
): Schedule {
  const intervalMs = intervalOf(current.tags, deps.defaultIntervalMs ?? DEFAULT_INTERVAL_MS);
  const overlapMs = overlapFor({
    secretName: current.name,
    reason: request.reason,
    tags: current.tags,
    intervalMs,
    targetDefaultMs:
      typeof target.overlapDefaultMs === 'function'
        ? target.overlapDefaultMs(current.tags)
        : target.overlapDefaultMs,
  });
  return { intervalMs, overlapMs };
}

async function step(deps: RotationDeps, name: RotationStep, id: string | undefined): Promise<void> {
  await deps.onStep?.(name, id);
}

/**
 * A credential still overlapping behind the current one dies before a new one is made: at most two
 * live credentials, and a usage never leaves an older one alive. `guard` is the fencing check.
 */
export async function retireOverlapping(
  deps: RotationDeps,
  target: RotationTarget,
  ctx: TargetContext,
  current: SecretWithValue,
  guard: () => Promise<void>,
): Promise<RetirementSummary | undefined> {
  const overlapping = parseRetirement(current.tags[RETIREMENT_TAG]);
  if (overlapping === undefined || overlapping.state === 'proven') return undefined;
  await guard();
  const proof = await retireVersion(deps, target, ctx, overlapping.version, {
    value: current.value,
    tags: credentialTags(current.tags),
  });
  await step(deps, 'overlap-retired', ctx.rotationId);
  return proofSummary(proof);
}

/** The tags committed with the new value: with an overlap, the pending retirement (durable in Key Vault). */
export function overlapTags(
  applied: AppliedCredential,
  current: SecretWithValue,
  overlapEnd: string | undefined,
): Record<string, string> {
  if (overlapEnd === undefined) return applied.tags;
  // The sweep finds this retirement again if Redis loses its job.
  return {
    ...applied.tags,
    [RETIREMENT_TAG]: formatRetirement({ state: 'pending', at: overlapEnd, version: current.version }),
  };
}

/**
 * After the commit: with an overlap the old credential is left to the follow-up (pending); without,
 * it is retired, proven refused and the proof recorded on the new version. Each write is fenced.
 */
export async function retireReplaced(
  deps: RotationDeps,
  target: RotationTarget,
  ctx: TargetContext,
  parts: { current: SecretWithValue; applied: AppliedCredential; committedVersion: string },
  overlapEnd: string | undefined,
  guard: () => Promise<void>,
): Promise<RetirementSummary> {
  const { current, applied, committedVersion } = parts;
  if (overlapEnd !== undefined) {
    await step(deps, 'retired', ctx.rotationId);
    return { state: 'pending', at: overlapEnd, version: current.version };
  }
  await guard();
  const proof = await retireVersion(deps, target, ctx, current.version, applied, current);
  await step(deps, 'retired', ctx.rotationId);
  await guard();
  await recordRetirement(deps.store, current.name, committedVersion, proofRecord(proof));
  await step(deps, 'proved', ctx.rotationId);
  return proofSummary(proof);
}
