import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The right to scan for one poll interval, shared by all replicas. */
export interface PollLease {
  /** Undefined when another replica scans in this interval; else a handle to end the renewals. */
  take(ms: number): Promise<LeaseHandle | undefined>;
}

export interface LeaseHandle {
  /** Ends the renewals; `holdMs` keeps every replica off for that long instead (a backoff after a failure). */
  done(holdMs?: number): void;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * A Redis key held for one poll interval from the start of a scan (renewed while the scan runs, then
 * left to expire, never deleted): every replica polls, but the workspace sees one query per interval,
 * however many replicas run. A replica that dies mid-scan frees it within one interval.
 */
export class RedisPollLease implements PollLease {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:rotator:audit:scan-lease`;
  }

  async take(ms: number): Promise<LeaseHandle | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(this.key, token, 'PX', ms, 'NX');
    if (ok !== 'OK') return undefined;
    const timer = setInterval(
      () => {
        this.redis.eval(RENEW, 1, this.key, token, String(ms)).catch(() => undefined);
      },
      Math.max(100, Math.floor(ms / 3)),
    );
    timer.unref();
    return {
      done: (holdMs) => {
        clearInterval(timer);
        if (holdMs !== undefined)
          this.redis.eval(RENEW, 1, this.key, token, String(Math.max(1, holdMs))).catch(() => undefined);
      },
    };
  }
}
