import type { AppliedCredential, RotationTarget, TargetContext, VerifyOutcome } from '../../src/rotation';
import { POSTGRES_POLICY } from '../../src/targets/postgres';

/**
 * A target system that holds one password per account, like PostgreSQL, checked at compile time
 * against the real port. It keeps a call log and can be told to reject or to fail an apply.
 */
export class FakePasswordTarget implements RotationTarget {
  readonly kind = 'postgres' as const;
  readonly policy = POSTGRES_POLICY;
  readonly external = true;
  readonly requiredTags = ['rotation-account'] as const;
  readonly passwords = new Map<string, string>();
  readonly calls: string[] = [];
  failNextApply = false;
  /** Like a PostgreSQL server whose pg_hba trusts the rotator: every password is "accepted". */
  acceptsAnything = false;
  /** Set by a test that needs to see what precheck sees. */
  precheck?: (ctx: TargetContext) => Promise<void>;

  apply(ctx: TargetContext, newValue: string | undefined): Promise<AppliedCredential> {
    this.calls.push(`apply ${ctx.tags['rotation-account'] ?? ''}`);
    if (this.failNextApply) {
      this.failNextApply = false;
      return Promise.reject(new Error('target unavailable'));
    }
    if (newValue === undefined) return Promise.reject(new Error('this target needs a value'));
    this.passwords.set(ctx.tags['rotation-account'] ?? '', newValue);
    return Promise.resolve({ value: newValue, tags: {} });
  }

  verify(ctx: TargetContext, value: string): Promise<VerifyOutcome> {
    this.calls.push(`verify ${ctx.tags['rotation-account'] ?? ''}`);
    const live = this.passwords.get(ctx.tags['rotation-account'] ?? '');
    return Promise.resolve(
      this.acceptsAnything || live === value
        ? { accepted: true }
        : { accepted: false, reason: 'password authentication failed', endpoint: 'fake' },
    );
  }

  retire(): Promise<void> {
    this.calls.push('retire');
    return Promise.resolve();
  }
}
