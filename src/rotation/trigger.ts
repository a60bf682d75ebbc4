import { DateTime } from 'luxon';

/** A trigger is satisfied once a rotation committed at or after it: the request then does nothing. */
export function isTriggerSatisfied(rotatedAtTag: string | undefined, triggeredAt: DateTime): boolean {
  if (rotatedAtTag === undefined) return false;
  const rotated = DateTime.fromISO(rotatedAtTag, { zone: 'utc' });
  return rotated.isValid && rotated >= triggeredAt;
}
