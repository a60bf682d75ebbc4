import { parseIsoDuration } from '../config';
import { RotatorError } from '../errors';

/** A duration given on the command line, in milliseconds; a bad one is bad usage (exit 2). */
export function parseDurationOption(flag: string, text: string): number {
  const parsed = parseIsoDuration(text);
  if (parsed === undefined) {
    throw new RotatorError('USAGE_INVALID', `${flag} '${text}' is not a positive ISO-8601 duration`, {
      hint: `write it like PT10M or PT30S`,
      exitCode: 2,
    });
  }
  return parsed.ms;
}
