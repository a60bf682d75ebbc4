import pino from 'pino';
import type { ScanSummary } from '../../src/audit-watch';
import { startAuditWatcher } from '../../src/audit-watch/watcher';
import { RotatorError } from '../../src/errors';
import type { PollLease } from '../../src/audit-watch/poll-lease';

const done: ScanSummary = {
  from: '',
  to: '',
  pages: 1,
  rows: 0,
  uses: 0,
  routine: 0,
  ignored: 0,
  secretsUsed: 0,
  failed: 0,
};

/** One lease for all "replicas" of the test, as Redis gives it: held for an interval from its start, renewed while scanning. */
function sharedLease(): PollLease {
  let until = 0;
  let scanning = false;
  return {
    take: (ms) => {
      if (scanning || Date.now() < until) return Promise.resolve(undefined);
      scanning = true;
      return Promise.resolve({
        done: (holdMs?: number) => {
          scanning = false;
          until = Date.now() + (holdMs ?? ms);
        },
      });
    },
  };
}

describe('the audit watcher loop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('backs off after a throttled scan (Retry-After wins), then polls at its interval again', async () => {
    const calls: number[] = [];
    const results: Array<() => Promise<ScanSummary>> = [
      () =>
        Promise.reject(
          new RotatorError('AUDIT_THROTTLED', 'throttled', { hint: 'wait', retryAfterMs: 45_000 }),
        ),
      () => Promise.reject(new RotatorError('AUDIT_UNREACHABLE', 'down', { hint: 'wait' })),
    ];
    const watcher = startAuditWatcher({
      scan: () => {
        calls.push(Date.now());
        return (results.shift() ?? (() => Promise.resolve(done)))();
      },
      lease: sharedLease(),
      pollMs: 60_000,
      maxBackoffMs: 15 * 60_000,
      logger: pino({ level: 'silent' }),
      random: () => 1,
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(44_000);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2);
    // Second failure in a row: base 30 s doubled once, full jitter pinned.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(4);
    await watcher.stop();
  });

  it('lets only the replica holding the lease scan; the others skip the poll', async () => {
    const lease = sharedLease();
    let scans = 0;
    let finish: (() => void) | undefined;
    const slowScan = (): Promise<ScanSummary> => {
      scans += 1;
      return new Promise((resolve) => (finish = () => resolve(done)));
    };
    const logger = pino({ level: 'silent' });
    const replicas = [0, 1, 2].map(() =>
      startAuditWatcher({ scan: slowScan, lease, pollMs: 1_000, maxBackoffMs: 10_000, logger }),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(scans).toBe(1);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(scans).toBe(1);
    finish?.();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(scans).toBe(2);
    finish?.();
    await Promise.all(replicas.map((r) => r.stop()));
  });
});
