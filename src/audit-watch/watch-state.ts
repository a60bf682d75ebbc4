import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';

/** What the watcher keeps between scans: where it got to, and which reads were already handled. */
export interface WatchState {
  watermark(): Promise<DateTime | undefined>;
  /** Moves the watermark forward only: a slow replica can never move it back. */
  advance(to: DateTime): Promise<void>;
  /**
   * Claims reads by key; true where this caller is the first (exactly one replica handles a read). A
   * claim is short-lived until confirmed, so a replica that dies before recording frees the read.
   */
  claim(keys: readonly string[]): Promise<boolean[]>;
  /** Keeps claims of recorded reads for the whole overlap window, so re-read rows stay handled. */
  confirm(keys: readonly string[]): Promise<void>;
  /** Gives claims back after a failure, so the next scan handles those reads again. */
  release(keys: readonly string[]): Promise<void>;
}

const ADVANCE = `local cur = redis.call('get', KEYS[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) return 1 end
return 0`;

/**
 * The watch state in Redis, next to the queues (the same prefix). Losing it is safe: the watermark is
 * rebuilt from a bounded lookback and re-claimed reads are recorded idempotently (the earliest use wins).
 */
export class RedisWatchState implements WatchState {
  private readonly watermarkKey: string;
  private readonly readPrefix: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** How long a confirmed claim is remembered: longer than the overlap window. */
    private readonly claimTtlSeconds: number,
    /** How long an unconfirmed claim holds: a scan's recording time, well inside the overlap window. */
    private readonly pendingTtlSeconds = 120,
  ) {
    this.watermarkKey = `${prefix}:rotator:audit:watermark`;
    this.readPrefix = `${prefix}:rotator:audit:read:`;
  }

  async watermark(): Promise<DateTime | undefined> {
    const raw = await this.redis.get(this.watermarkKey);
    const ms = raw === null ? NaN : Number(raw);
    return Number.isFinite(ms) ? DateTime.fromMillis(ms, { zone: 'utc' }) : undefined;
  }

  async advance(to: DateTime): Promise<void> {
    await this.redis.eval(ADVANCE, 1, this.watermarkKey, String(to.toMillis()));
  }

  async claim(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(`${this.readPrefix}${key}`, '1', 'EX', this.pendingTtlSeconds, 'NX');
    const results = (await pipeline.exec()) ?? [];
    return keys.map((_, i) => {
      const [error, reply] = results[i] ?? [new Error('no reply'), null];
      if (error !== null) throw error;
      return reply === 'OK';
    });
  }

  async confirm(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.expire(`${this.readPrefix}${key}`, this.claimTtlSeconds);
    await pipeline.exec();
  }

  async release(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((k) => `${this.readPrefix}${k}`));
  }
}
