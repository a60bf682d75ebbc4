import { createHash } from 'node:crypto';

/**
 * The write-ahead record of a rotation in flight. It lives in Key Vault (never Redis) as a secret of
 * its own, so consumers reading the managed secret's latest version never see an unapplied value,
 * and so a new daemon finds it after any crash. Its name is derived, so finding it costs one GET.
 */
export function pendingSecretName(secretName: string): string {
  const digest = createHash('sha256').update(secretName.toLowerCase()).digest('hex').slice(0, 40);
  return `rotator-pending-${digest}`;
}

export type PendingState = 'prepared' | 'committed' | 'rolled-back';

/** Stored where a target generates the value itself and none is known before it is applied. */
export const NO_VALUE_YET = 'no-value-yet';
