import { randomInt } from 'node:crypto';

/**
 * How a target wants its credentials spelled; each target's folder holds its own. Each policy is tested against the target's own rules,
 * because a value the target refuses fails a rotation at the worst moment.
 */
export interface GenerationPolicy {
  name: string;
  alphabet: string;
  minLength: number;
  maxLength: number;
  /** Character classes of which the value must hold at least one each. */
  required: readonly string[];
}

/** Character classes that targets' policies build their alphabets from. */
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';

const DEFAULT_LENGTH = 32;

/** Parses the `rotation-length` tag; undefined means the default. Throws on a length the policy forbids. */
export function resolveLength(policy: GenerationPolicy, tag: string | undefined): number {
  if (tag === undefined || tag.trim() === '') return Math.max(DEFAULT_LENGTH, policy.minLength);
  const length = Number(tag);
  if (!/^\d+$/.test(tag.trim()) || length < policy.minLength || length > policy.maxLength) {
    throw new RangeError(
      `rotation-length '${tag}' is outside ${policy.minLength}..${policy.maxLength} for ${policy.name} targets`,
    );
  }
  return length;
}

function pick(alphabet: string): string {
  // randomInt is uniform (rejection sampling), unlike modulo over random bytes.
  return alphabet.charAt(randomInt(alphabet.length));
}

/** A fresh value from the CSPRNG, holding every required class, in a uniformly shuffled order. */
export function generateValue(policy: GenerationPolicy, length: number): string {
  if (length < policy.required.length) throw new RangeError('length shorter than the required classes');
  const chars = policy.required.map(pick);
  while (chars.length < length) chars.push(pick(policy.alphabet));
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}
