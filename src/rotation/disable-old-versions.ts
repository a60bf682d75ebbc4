import type { SecretStore, SecretWithValue } from '../vault';
import { TAG } from '../tags';
import { parseRetirement, RETIREMENT_TAG } from './retirement-record';

/**
 * How far Key Vault's `createdOn` of a version the rotator committed may lie from the `rotated-at` it
 * stamped on it: the PUT's own time and the clocks' skew, both far below a minute where clocks are
 * synchronised.
 */
export const COMMIT_STAMP_SKEW_MS = 60_000;

/**
 * Whether `current` was committed by a rotation, which recorded on it the retirement (pending, proven
 * or unproven) of the version it replaced: the rotator then knows no older version is readable. Tags
 * can be copied, a version's creation time cannot: a value set by hand with a rotated version's tags
 * copied carries a `rotated-at` older than its own creation, and gets its versions listed. (Key
 * Vault's `previousVersion` would say it outright, but the service sets it only on secrets backing
 * certificates.)
 */
export function retiresItsPredecessor(current: SecretWithValue): boolean {
  if (parseRetirement(current.tags[RETIREMENT_TAG]) === undefined) return false;
  const stamped = Date.parse(current.tags[TAG.rotatedAt] ?? '');
  const created = current.createdOn?.getTime();
  return (
    created !== undefined && Number.isFinite(stamped) && Math.abs(created - stamped) <= COMMIT_STAMP_SKEW_MS
  );
}

/**
 * For secrets whose credential is the Key Vault version itself (`keyvault` targets): around a commit,
 * only the new version and the one before it stay readable, so consumers that have not re-read yet
 * keep working for one rotation interval while older credentials stop being readable. Key Vault keeps
 * versions forever (and a backup fails past 500), so disabling is the only way to retire them.
 */
export async function disableOlderVersions(
  store: SecretStore,
  name: string,
  keep: readonly string[],
): Promise<number> {
  const stale: string[] = [];
  for await (const props of store.listVersions(name)) {
    if (props.enabled && !keep.includes(props.version)) stale.push(props.version);
  }
  for (const version of stale) await store.updateProperties(name, version, { enabled: false });
  return stale.length;
}
