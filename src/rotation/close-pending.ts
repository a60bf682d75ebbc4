import type { SecretStore } from '../vault';
import { PENDING_TAGS } from '../tags';
import type { PendingState } from './pending-record';

/** What the pending record holds once closed: never a credential. */
export const TOMBSTONE_VALUE = 'rotator-pending-closed';

/**
 * Closes a pending record so that the vault holds the live value only in the secret itself: a
 * tombstone version (no value) becomes the record's latest, then the version that held the value is
 * disabled. In this order a crash in between leaves a closed record (recovery has nothing to redo),
 * never a disabled latest version that every later read would fail on.
 */
export async function closePending(
  store: SecretStore,
  pendingName: string,
  valueVersion: string,
  record: { for: string; state: Exclude<PendingState, 'prepared'>; rotationId: string },
): Promise<string> {
  const tags = {
    [PENDING_TAGS.for]: record.for,
    [PENDING_TAGS.state]: record.state,
    'rotation-id': record.rotationId,
  };
  const tombstone = await store.set(pendingName, TOMBSTONE_VALUE, {
    contentType: 'application/x-rotator-pending',
    tags,
  });
  await store.updateProperties(pendingName, valueVersion, { tags, enabled: false });
  // The record's latest version now: the next pending write is fenced on it (fencing.ts).
  return tombstone.version;
}
