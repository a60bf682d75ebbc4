import { InvalidArgumentError } from 'commander';
import { parseIsoDuration } from '../config';
import { RotatorError } from '../errors';

/** Parses a TCP port argument; commander turns the error into exit 2 with our message. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`'${text}' is not a TCP port; use a number from 0 to 65535`);
  }
  return port;
}

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
