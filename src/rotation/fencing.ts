import { randomUUID } from 'node:crypto';
import { RotatorError } from '../errors';
import type { SecretStore, SecretWithValue } from '../vault';
import { PENDING_TAGS } from '../tags';
import type { LockLease } from './rotation-lock';

/**
 * Fencing for one rotation run. The Redis lease keeps two workers apart only while it lasts: a slow
 * worker (or one whose Redis was lost) can still be acting when a second one takes the secret over.
 * So every write to the target or to the managed secret is preceded by a check against Key Vault
 * state that a second worker must change first: the pending record's latest version is the one this
 * run acts on, still open, and owned by this run (`rotation-owner`). A second worker writes a new
 * version, closes it or claims it before it touches anything. SPIN found the losses this prevents
 * (model/rotation.pml; README "The protocol, proven").
 */
export interface Fence {
  readonly store: SecretStore;
  readonly pendingName: string;
  /** This run's token, written into the pending versions it owns. */
  readonly owner: string;
  readonly lease: LockLease;
}

export function newFence(store: SecretStore, pendingName: string, lease: LockLease): Fence {
  return { store, pendingName, owner: randomUUID(), lease };
}

function fenced(fence: Fence, why: string): RotatorError {
  return new RotatorError('ROTATION_FENCED', `${fence.pendingName}: ${why}`, {
    hint: 'another worker took this rotation over; nothing was written, and the job is retried to finish or roll back what is live',
  });
}

/** Throws unless this run still owns the pending record's open version `version`. */
export async function assertFenced(fence: Fence, version: string): Promise<void> {
  if (!fence.lease.held()) throw fenced(fence, 'the rotation lease was lost');
  const latest = await fence.store.get(fence.pendingName);
  if (latest?.version !== version) throw fenced(fence, 'a newer pending version exists');
  if (latest.tags[PENDING_TAGS.state] !== 'prepared') throw fenced(fence, 'the pending version was closed');
  if (latest.tags[PENDING_TAGS.owner] !== fence.owner) throw fenced(fence, 'another run claimed it');
}

/**
 * Before a new pending version is written: the latest one is still the one this run read (or there is
 * none) and it is not open. A new version would hide an open one, whose value a slow worker may have
 * applied, from every later recovery.
 */
export async function assertCanPrepare(fence: Fence, seenVersion: string | undefined): Promise<void> {
  if (!fence.lease.held()) throw fenced(fence, 'the rotation lease was lost');
  const latest = await fence.store.get(fence.pendingName);
  if (latest?.version !== seenVersion) throw fenced(fence, 'a pending version appeared since it was read');
  if (latest !== undefined && latest.enabled && latest.tags[PENDING_TAGS.state] === 'prepared')
    throw fenced(fence, 'the pending record is open');
}

/** Recovery takes an open version over before it asks the target anything: fences the previous owner. */
export async function claim(fence: Fence, pending: SecretWithValue): Promise<void> {
  await fence.store.updateProperties(fence.pendingName, pending.version, {
    tags: { ...pending.tags, [PENDING_TAGS.owner]: fence.owner },
  });
}
