import type { Redis } from 'ioredis';

export type OutcomeKind =
  | 'rotated'
  | 'satisfied'
  | 'recovered'
  | 'retrying'
  | 'failed'
  | 'quarantined'
  | 'misconfigured'
  /** The retirement follow-up failed; retried, and re-added by the sweep while Key Vault says pending. */
  | 'retire-failed';

/** The last thing that happened to a secret, for `rotator status`. Never a value. */
export interface SecretOutcome {
  outcome: OutcomeKind;
  at: string;
  reason?: string;
  rotationId?: string;
  jobId?: string;
  errorCode?: string;
  error?: string;
}

/**
 * Last outcome per secret in one Redis hash. It is a convenience for operators, not a source of
 * truth: after a Redis loss `status` shows Key Vault's view until the next rotation records anew.
 */
export class OutcomeStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:rotator:outcomes`;
  }

  async record(secretKey: string, outcome: SecretOutcome): Promise<void> {
    await this.redis.hset(this.key, secretKey, JSON.stringify(outcome));
  }

  async all(): Promise<Map<string, SecretOutcome>> {
    const raw = await this.redis.hgetall(this.key);
    const result = new Map<string, SecretOutcome>();
    for (const [field, text] of Object.entries(raw)) {
      try {
        result.set(field, JSON.parse(text) as SecretOutcome);
      } catch {
        // A hand-edited or truncated entry is dropped rather than breaking `status`.
      }
    }
    return result;
  }

  async forget(secretKeys: string[]): Promise<void> {
    if (secretKeys.length > 0) await this.redis.hdel(this.key, ...secretKeys);
  }
}
