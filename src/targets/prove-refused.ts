import type { ProofOutcome, VerifyOutcome } from '../rotation';

/** Why a proof could not use the retired value: an interrupted retirement disabled its version first. */
export const VALUE_GONE = 'the retired value is no longer readable (an earlier attempt disabled its version)';

/**
 * A retirement proof from a sign-in: the retired value, tried once as a consumer would, must be
 * refused. The outcome names where it was tried and never the value.
 */
export async function proveRefused(
  verify: (value: string) => Promise<VerifyOutcome>,
  value: string | undefined,
  what: string,
): Promise<ProofOutcome> {
  if (value === undefined) return { proven: false, reason: VALUE_GONE, check: what };
  const outcome = await verify(value);
  if (outcome.accepted)
    return { proven: false, reason: `${what} with the retired credential still succeeds`, check: what };
  return { proven: true, check: `${what} refused at ${outcome.endpoint} (${outcome.reason})` };
}
