import { RotatorError } from '../errors';

/**
 * A secret whose tags ask for more than the target policy allows. Permanent: no retry can help until
 * the operator widens the policy or someone fixes the tags, and nothing has changed anywhere.
 */
export function refusedByPolicy(secretName: string, message: string, hint: string): RotatorError {
  return new RotatorError('SECRET_MISCONFIGURED', `${secretName}: ${message}`, { hint, permanent: true });
}

export const POLICY_HINT =
  'the target policy (ROTATOR_TARGET_POLICY) decides what the daemon may touch; tags only choose within it';
