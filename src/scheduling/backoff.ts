import { isRotatorError } from '../errors';

interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Injected so tests can pin the jitter; not security-relevant, so Math.random is fine here. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter for a transient rotation failure. A service's Retry-After wins:
 * waiting less only earns another 429 from Key Vault.
 */
export function retryDelayMs(attemptsMade: number, error: unknown, policy: BackoffPolicy): number {
  if (isRotatorError(error) && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const random = policy.random ?? Math.random;
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
