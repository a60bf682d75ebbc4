import { RotatorError } from '../errors';
import { PENDING_TAGS, preparedPendingFor, TAG } from '../tags';
import type { SecretWithValue } from '../vault';
import { assertFenced, claim, type Fence } from './fencing';
import { type PendingState } from './pending-record';
import { closePending } from './close-pending';
import { parseRetirement, RETIREMENT_TAG } from './retirement-record';
import {
  assertCanRefuse,
  committedTags,
  credentialTags,
  targetContext,
  verifyWithin,
} from './rotation-steps';
import type { RotationTarget, TargetContext, VerifyOutcome } from './rotation-target';
import type { RotationDeps, RotationResult } from './rotation-types';

export interface Recovered {
  current: SecretWithValue;
  kind: NonNullable<RotationResult['recovery']>;
  /** The pending record's latest version once closed (its tombstone). */
  closedVersion?: string;
}

/** How many older versions recovery tries before it gives up and quarantines the secret. */
const PREVIOUS_VERSIONS_TRIED = 5;

function keyIdTags(secret: SecretWithValue): Record<string, string> {
  return credentialTags(secret.tags);
}

/** What recovery works with: the interrupted rotation's record and how to close it or commit a value. */
interface Recovery {
  deps: RotationDeps;
  target: RotationTarget;
  current: SecretWithValue;
  pending: SecretWithValue;
  ctx: TargetContext;
  /** Throws unless this run still owns the record: before every write (fencing.ts). */
  guard(): Promise<void>;
  close(state: Exclude<PendingState, 'prepared'>): Promise<void>;
  /** The tombstone version the close wrote, once closed. */
  closedVersion(): string | undefined;
  commit(value: string, extra: Record<string, string>): Promise<SecretWithValue>;
}

function recovery(
  deps: RotationDeps,
  target: RotationTarget,
  current: SecretWithValue,
  pending: SecretWithValue,
  fence: Fence,
): Recovery {
  const { store } = deps;
  const guard = (): Promise<void> => assertFenced(fence, pending.version);
  const rotationId = pending.tags[TAG.rotationId] ?? 'unknown';
  let closedAs: string | undefined;
  return {
    deps,
    target,
    current,
    pending,
    ctx: targetContext(store, current, rotationId, deps),
    guard,
    close: async (state) => {
      // A tombstone version, the value's version disabled: only the secret itself keeps the live value.
      closedAs = await closePending(store, fence.pendingName, pending.version, {
        for: current.name,
        state,
        rotationId,
      });
    },
    closedVersion: () => closedAs,
    commit: async (value, extra) => {
      await guard();
      const props = await store.set(current.name, value, {
        contentType: current.contentType,
        tags: committedTags(current.tags, extra, {
          rotatedAt: deps.clock.now().toISO() ?? '',
          reason: 'recovery',
          rotationId,
        }),
      });
      return { ...props, value };
    },
  };
}

/** Crashed after the commit: only the old credential's retirement and the record's closing remain. */
async function finishCommit(r: Recovery): Promise<Recovered> {
  // A scheduled rotation's previous credential overlaps: its retirement is the follow-up's job.
  if (parseRetirement(r.current.tags[RETIREMENT_TAG])?.state !== 'pending') {
    const baseVersion = r.pending.tags[PENDING_TAGS.baseVersion];
    const previous =
      baseVersion === undefined
        ? undefined
        : await r.deps.store.get(r.current.name, baseVersion).catch(() => undefined);
    await r.guard();
    await r.target.retire(r.ctx, previous?.tags ?? {}, {
      value: r.current.value,
      tags: keyIdTags(r.current),
    });
  }
  await r.close('committed');
  return { current: r.current, kind: 'finished-commit' };
}

function verdictOf(r: Recovery, value: string): Promise<VerifyOutcome> {
  return verifyWithin(r.deps, r.target, r.ctx, value);
}

async function accepts(r: Recovery, value: string): Promise<boolean> {
  return (await verdictOf(r, value)).accepted;
}

/** The older enabled versions, newest first, that recovery may try. */
async function olderVersions(r: Recovery): Promise<string[]> {
  const older: { version: string; createdOn: number }[] = [];
  for await (const props of r.deps.store.listVersions(r.current.name)) {
    if (props.version !== r.current.version && props.enabled)
      older.push({ version: props.version, createdOn: props.createdOn?.getTime() ?? 0 });
  }
  older.sort((a, b) => b.createdOn - a.createdOn);
  return older.slice(0, PREVIOUS_VERSIONS_TRIED).map((o) => o.version);
}

/** Asks the target which value it accepts — pending, then current, then older versions. */
async function findLiveValue(r: Recovery): Promise<Recovered | undefined> {
  const pendingVerdict =
    r.pending.tags[PENDING_TAGS.hasValue] === 'true' ? await verdictOf(r, r.pending.value) : undefined;
  if (pendingVerdict?.accepted === true) {
    // What the target recorded on acceptance (e.g. which alternating login took it) is committed too.
    const tags = pendingVerdict.tags ?? {};
    const committed = await r.commit(r.pending.value, tags);
    await r.guard();
    await r.target.retire(r.ctx, r.current.tags, { value: r.pending.value, tags });
    await r.close('committed');
    return { current: committed, kind: 'committed-pending' };
  }
  if (await accepts(r, r.current.value)) {
    // The target never took the new value (or, for targets that hold several, took one we drop now).
    await r.guard();
    await r.target.retire(r.ctx, {}, { value: r.current.value, tags: keyIdTags(r.current) });
    await r.close('rolled-back');
    return { current: r.current, kind: 'rolled-back' };
  }
  for (const version of await olderVersions(r)) {
    const candidate = await r.deps.store.get(r.current.name, version).catch(() => undefined);
    const verdict = candidate === undefined ? undefined : await verdictOf(r, candidate.value);
    if (candidate !== undefined && verdict?.accepted === true) {
      const restored = await r.commit(candidate.value, { ...keyIdTags(candidate), ...verdict.tags });
      await r.close('rolled-back');
      return { current: restored, kind: 'restored-previous' };
    }
  }
  return undefined;
}

/** What a run learnt from the pending record before it may start a rotation of its own. */
export interface Settled {
  current: SecretWithValue;
  recovered: Recovered | undefined;
  /** The pending record's latest version as read (the next pending write is fenced on it). */
  seenVersion: string | undefined;
}

/**
 * Reads the pending record of an external target's secret: an open one is recovered; a closed one
 * that names a later rotation than `current` shows that `current` was read before that rotation
 * committed, so it is read again (else the trigger check could start a second rotation for one
 * trigger — found by SPIN, model/rotation.pml).
 */
export async function settlePending(
  deps: RotationDeps,
  target: RotationTarget,
  current: SecretWithValue,
  fence: Fence,
): Promise<Settled> {
  if (!target.external) return { current, recovered: undefined, seenVersion: undefined };
  const pending = await deps.store.get(fence.pendingName);
  if (pending === undefined) return { current, recovered: undefined, seenVersion: undefined };
  if (pending.enabled && preparedPendingFor(pending.tags) !== undefined) {
    const recovered = await recoverInterrupted(deps, target, current, pending, fence);
    return { current: recovered.current, recovered, seenVersion: recovered.closedVersion ?? pending.version };
  }
  const fresh =
    pending.tags[TAG.rotationId] !== current.tags[TAG.rotationId]
      ? await deps.store.get(current.name)
      : current;
  return { current: fresh ?? current, recovered: undefined, seenVersion: pending.version };
}

/**
 * Finishes or rolls back a rotation that a crash interrupted. The target is asked which credential it
 * accepts — pending, then current, then older versions — and Key Vault is made to hold that one. A
 * fresh value is generated only after this has proven the pending one is not live.
 */
async function recoverInterrupted(
  deps: RotationDeps,
  target: RotationTarget,
  current: SecretWithValue,
  pending: SecretWithValue,
  fence: Fence,
): Promise<Recovered> {
  const pendingName = fence.pendingName;
  const r = recovery(deps, target, current, pending, fence);
  // Claimed before the target is asked anything: a slow worker still on this rotation is fenced off
  // before its next write, so what the target answers below stays true until this run acts on it.
  await claim(fence, pending);
  if (current.tags[TAG.rotationId] === r.ctx.rotationId)
    return { ...(await finishCommit(r)), closedVersion: r.closedVersion() };
  // Every verdict below decides what Key Vault keeps: none may come from a target that cannot say no.
  await assertCanRefuse(target, r.ctx);
  const found = await findLiveValue(r);
  if (found !== undefined) return { ...found, closedVersion: r.closedVersion() };
  throw new RotatorError(
    'ROTATION_UNRECOVERABLE',
    `${current.name}: ${target.kind} accepts neither the pending, the current nor the ${PREVIOUS_VERSIONS_TRIED} previous values`,
    {
      hint: `the secret is quarantined; set a working credential in the target and Key Vault by hand, then \`rotator retry\` (pending record: ${pendingName})`,
      permanent: true,
    },
  );
}
