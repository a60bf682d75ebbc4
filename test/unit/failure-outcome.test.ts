import { RotatorError } from '../../src/errors';
import { failureOutcome } from '../../src/scheduling/failure-outcome';

const transient = new RotatorError('TARGET_UNREACHABLE', 'server down', { hint: 'wait' });
const permanent = new RotatorError('SECRET_MISCONFIGURED', 'no rotation-account', {
  hint: 'tag it',
  permanent: true,
});

describe('the one rule that names a failed rotation', () => {
  it('retries a transient failure while attempts remain and quarantines it on the last', () => {
    expect(failureOutcome(transient, { attempt: 1, maxAttempts: 6, reason: 'scheduled' })).toBe('retrying');
    expect(failureOutcome(transient, { attempt: 5, maxAttempts: 6, reason: 'scheduled' })).toBe('retrying');
    expect(failureOutcome(transient, { attempt: 6, maxAttempts: 6, reason: 'scheduled' })).toBe(
      'quarantined',
    );
  });

  it('fails a permanent error at once, whatever attempt it is', () => {
    expect(failureOutcome(permanent, { attempt: 1, maxAttempts: 6, reason: 'usage' })).toBe('failed');
  });

  it('treats an unknown error as transient', () => {
    expect(failureOutcome(new Error('boom'), { attempt: 1, maxAttempts: 2, reason: 'scheduled' })).toBe(
      'retrying',
    );
  });

  it('postpones on another holder’s lock and satisfies a scheduled job whose secret vanished', () => {
    const locked = new RotatorError('ROTATION_LOCKED', 'held', { hint: 'wait' });
    const gone = new RotatorError('SECRET_NOT_FOUND', 'gone', { hint: 'none' });
    expect(failureOutcome(locked, { attempt: 6, maxAttempts: 6, reason: 'scheduled' })).toBe('postponed');
    expect(failureOutcome(gone, { attempt: 1, maxAttempts: 6, reason: 'scheduled' })).toBe('satisfied');
    expect(failureOutcome(gone, { attempt: 6, maxAttempts: 6, reason: 'manual' })).toBe('quarantined');
  });

  it("postpones, even on the last attempt, when the vault's request budget is spent", () => {
    const spent = new RotatorError('VAULT_BUDGET_EXHAUSTED', 'spent', { hint: 'wait', retryAfterMs: 300 });
    expect(failureOutcome(spent, { attempt: 6, maxAttempts: 6, reason: 'usage' })).toBe('postponed');
  });
});
