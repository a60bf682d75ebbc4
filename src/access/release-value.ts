import type { Clock } from '../clock/clock';
import type { SecretStore, SecretWithValue } from '../vault/secret-store';

/** A usage as the usage listener records it (the `checked-out-at` tag and the forced rotation's job). */
export interface UsageToRecord {
  secret: string;
  vault: string;
  actor: string;
  reason: string;
  at: string;
  checkoutId: string;
}

/** The usage listener's own recording: the access API records a checkout exactly as a queued event. */
export type UsageRecorder = (usage: UsageToRecord) => Promise<{ forcedAt: string; satisfied: boolean }>;

export interface Released {
  secret: string;
  vault: string;
  value: string;
  forcedAt: string;
}

/**
 * Records the usage, then reads the value; if a rotation committed a new version in between, the
 * usage is recorded again for that version, so the value that leaves is always a recorded one.
 */
export async function recordThenRead(
  deps: { recordUsage: UsageRecorder; clock: Clock; store: SecretStore },
  found: SecretWithValue,
  who: { actor: string; reason: string; checkoutId: string },
): Promise<Released> {
  let expected = found.version;
  for (let round = 0; round < 3; round += 1) {
    const recorded = await deps.recordUsage({
      secret: found.name,
      vault: found.vaultUrl,
      ...who,
      at: deps.clock.now().toISO() ?? '',
    });
    const current = await deps.store.get(found.name);
    if (current === undefined) break;
    if (current.version === expected)
      return {
        secret: current.name,
        vault: current.vaultUrl,
        value: current.value,
        forcedAt: recorded.forcedAt,
      };
    expected = current.version;
  }
  throw new Error(`${found.name} kept changing while its checkout was recorded; try again`);
}
