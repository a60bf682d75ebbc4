import { RotatorError } from '../../src/errors';
import { postponementMs } from '../../src/scheduling/failure-outcome';

describe('which errors postpone a rotation or retirement job instead of spending an attempt', () => {
  it("waits the lock retry for another worker's lock", () => {
    const locked = new RotatorError('ROTATION_LOCKED', 'held', { hint: 'wait' });
    expect(postponementMs(locked, 2_000)).toBe(2_000);
  });

  it("waits until the vault's budget frees (with its spread) when admission is refused", () => {
    const spent = new RotatorError('VAULT_BUDGET_EXHAUSTED', 'spent', { hint: 'wait', retryAfterMs: 7_250 });
    expect(postponementMs(spent, 2_000)).toBe(7_250);
  });

  it('postpones nothing else: a throttled request, a permanent error or an unknown one is a failure', () => {
    const throttled = new RotatorError('VAULT_THROTTLED', 'slow', { hint: 'retry', retryAfterMs: 100 });
    const permanent = new RotatorError('SECRET_MISCONFIGURED', 'bad tag', { hint: 'fix', permanent: true });
    expect(postponementMs(throttled, 2_000)).toBeUndefined();
    expect(postponementMs(permanent, 2_000)).toBeUndefined();
    expect(postponementMs(new Error('boom'), 2_000)).toBeUndefined();
  });
});
