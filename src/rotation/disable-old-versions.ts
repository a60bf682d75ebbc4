import type { SecretStore, SecretWithValue } from '../vault';
import { parseRetirement, RETIREMENT_TAG } from './retirement-record';

/**
 * Whether `current` was committed by a rotation that recorded on it the retirement (pending, proven or
 * unproven) of the very version it replaced: the rotator then knows no older version is readable. The
 * record must name `current`'s predecessor as Key Vault reports it (`previousVersion`), so a version
 * written by hand with tags copied from a rotated one, or an answer without `previousVersion` (an API
 * version before 2025-07-01), still gets its versions listed.
 */
export function retiresItsPredecessor(current: SecretWithValue): boolean {
  const record = parseRetirement(current.tags[RETIREMENT_TAG]);
  return (
    record !== undefined &&
    current.previousVersion !== undefined &&
    record.version === current.previousVersion
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
