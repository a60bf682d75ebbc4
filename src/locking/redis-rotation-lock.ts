import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { coalesceWrites } from '../redis';
import type { LockLease, RotationLock } from '../rotation';

// Compare-and-act scripts: only the holder of the token may renew or release.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** The scripts as ioredis commands: sent by SHA (EVALSHA, reloaded on NOSCRIPT), not as text each time. */
interface LockScripts {
  rotatorLockRenew(key: string, token: string, leaseMs: string): Promise<number>;
  rotatorLockRelease(key: string, token: string): Promise<number>;
}

function withLockScripts(redis: Redis): Redis & LockScripts {
  const scripted = redis as Redis & Partial<LockScripts>;
  if (scripted.rotatorLockRelease === undefined) {
    redis.defineCommand('rotatorLockRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('rotatorLockRelease', { numberOfKeys: 1, lua: RELEASE });
  }
  return scripted as Redis & LockScripts;
}

interface RedisLockOptions {
  prefix: string;
  leaseMs?: number;
}

/**
 * A token lease in Redis, renewed at a third of its length while the rotation runs, so a crashed
 * holder frees the secret within one lease and a live one never loses it to a slow step.
 */
export class RedisRotationLock implements RotationLock {
  private readonly leaseMs: number;
  private readonly redis: Redis & LockScripts;

  constructor(
    redis: Redis,
    private readonly options: RedisLockOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.redis = withLockScripts(redis);
  }

  async acquire(key: string): Promise<LockLease | undefined> {
    const redisKey = `${this.options.prefix}:rotator-lock:${key}`;
    const token = randomUUID();
    const ok = await this.redis.set(redisKey, token, 'PX', this.leaseMs, 'NX');
    if (ok !== 'OK') return undefined;
    let held = true;
    const timer = setInterval(
      () => {
        this.redis
          .rotatorLockRenew(redisKey, token, String(this.leaseMs))
          .then((renewed) => {
            if (renewed !== 1) held = false;
          })
          .catch(() => {
            held = false;
          });
      },
      Math.floor(this.leaseMs / 3),
    );
    timer.unref();
    return {
      held: () => held,
      release: () => {
        clearInterval(timer);
        held = false;
        // Sent, not awaited: Redis runs one connection's commands in order, so whatever this process
        // sends next (the next acquire of this key among them) comes after the release, and the
        // caller's outcome record and BullMQ's finish of the job leave in the same write. A release
        // that fails leaves the lease to expire, as a crash would.
        coalesceWrites(this.redis);
        this.redis.rotatorLockRelease(redisKey, token).catch(() => undefined);
        return Promise.resolve();
      },
    };
  }
}
