import { Duration } from 'luxon';
import { RotatorError } from '../errors';
import type { RotationReason } from './rotation-types';

export const OVERLAP_TAG = 'rotation-overlap';

export interface OverlapInputs {
  secretName: string;
  reason: RotationReason;
  tags: Readonly<Record<string, string>>;
  /** The secret's interval between scheduled rotations (its rotation-interval tag, or the default). */
  intervalMs: number;
  /** The target's default overlap; undefined when the target cannot hold two credentials. */
  targetDefaultMs: number | undefined;
}

function overlapError(name: string, raw: string, why: string): RotatorError {
  return new RotatorError('SECRET_MISCONFIGURED', `${name}: tag ${OVERLAP_TAG}='${raw}' ${why}`, {
    hint: `set ${OVERLAP_TAG} to an ISO-8601 duration of at most half the rotation interval (e.g. P1D), or remove it`,
    permanent: true,
  });
}

/**
 * How long the previous credential stays valid after this rotation. A rotation forced by a use has
 * none: the used credential must die at once. Otherwise the tag, or the target's default, never
 * more than half the interval, so one credential's overlap always ends before the next rotation.
 * A bad tag is refused before anything changes.
 */
export function overlapFor(inputs: OverlapInputs): number {
  const raw = inputs.tags[OVERLAP_TAG];
  const maxMs = Math.floor(inputs.intervalMs / 2);
  let tagged: number | undefined;
  if (raw !== undefined) {
    const parsed = Duration.fromISO(raw.trim());
    const ms = parsed.isValid ? parsed.toMillis() : NaN;
    if (!Number.isFinite(ms) || ms < 0)
      throw overlapError(inputs.secretName, raw, 'is not an ISO-8601 duration');
    if (ms > maxMs) {
      throw overlapError(
        inputs.secretName,
        raw,
        `is longer than half the rotation interval (${Duration.fromMillis(maxMs).shiftTo('hours').toISO() ?? ''})`,
      );
    }
    if (ms > 0 && inputs.targetDefaultMs === undefined) {
      throw overlapError(inputs.secretName, raw, 'is not possible: this target holds one credential only');
    }
    tagged = ms;
  }
  if (inputs.reason === 'usage' || inputs.targetDefaultMs === undefined) return 0;
  return tagged ?? Math.min(inputs.targetDefaultMs, maxMs);
}

/** The secret's interval: its rotation-interval tag, else the configured default. */
export function intervalOf(tags: Readonly<Record<string, string>>, defaultMs: number): number {
  const raw = tags['rotation-interval'];
  if (raw === undefined) return defaultMs;
  const parsed = Duration.fromISO(raw.trim());
  return parsed.isValid && parsed.toMillis() > 0 ? parsed.toMillis() : defaultMs;
}
