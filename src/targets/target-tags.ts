import { RotatorError } from '../errors';
import type { TargetContext } from '../rotation';

/** A tag the target cannot work without; a missing one is a permanent misconfiguration. */
export function requiredTag(ctx: TargetContext, tag: string, hint: string): string {
  const value = ctx.tags[tag];
  if (value === undefined || value.trim() === '') {
    throw new RotatorError('TARGET_MISCONFIGURED', `secret ${ctx.secretName} has no ${tag} tag`, {
      hint,
      permanent: true,
    });
  }
  return value;
}
