import { createHash } from 'node:crypto';
import type { DateTime } from 'luxon';

/**
 * Deterministic job ids: one trigger of one secret is one id, so every replica that schedules it
 * adds the same job and BullMQ keeps one. BullMQ forbids ':' and all-digit ids; names are
 * [0-9a-zA-Z-] and the vault is reduced to a short digest.
 */
export function secretKey(vaultUrl: string, secretName: string): string {
  return `${secretName.toLowerCase()}${vaultSuffix(vaultUrl)}`;
}

/** The ending every secretKey of one vault shares. */
export function vaultSuffix(vaultUrl: string): string {
  return `.${createHash('sha256').update(vaultUrl.toLowerCase()).digest('hex').slice(0, 8)}`;
}

export type TriggerKind = 'scheduled' | 'usage' | 'manual' | 'recover';

export function rotationJobId(kind: TriggerKind, key: string, at: DateTime | string): string {
  const stamp = typeof at === 'string' ? at : String(at.toMillis());
  return `${kind}.${key}.${stamp}`;
}
