import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  limitsFor,
  vaultKey,
  type BudgetLimits,
  type BudgetSlot,
  type RefusedBy,
  type RequestBudget,
  type RequestClass,
  type SlotDecision,
} from '../budget';
import type { Clock } from '../clock';

// Hand-written (see README "Request budgets"): rate-limiter-flexible counts fixed windows only, and
// no kept library checks a vault's log and the subscription's in one atomic step. One sorted set per
// vault and class holds the time of each request in the window (a sliding log); the same decision as
// decideSlot in src/budget/sliding-log.ts. `now` is the caller's clock, or Redis's own when empty, so
// replicas on different hosts share one clock.
const CLOCK = `
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** KEYS: pause key, then the logs. ARGV: now, member, then max and window of each log. */
const TAKE = `${CLOCK}
local now = clock(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return {0, paused - now, 0} end
local wait, blocking = 0, 0
for i = 2, #KEYS do
  local max, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= max then
    local entry = redis.call('ZRANGE', KEYS[i], count - max, count - max, 'WITHSCORES')
    local w = tonumber(entry[2]) + window - now
    if w > wait then wait, blocking = w, i - 1 end
  end
end
if wait > 0 then return {0, wait, blocking} end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i]))
end
return {1, 0, 0}
`;

/** KEYS: the logs. ARGV: now, member, then the window of each log. Restamps at the answer's time. */
const SETTLE = `${CLOCK}
local now = clock(ARGV[1])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[i + 2]))
end
return 1
`;

/** KEYS: pause key. ARGV: now, ms. Only ever extends a pause. */
const PAUSE = `${CLOCK}
local deadline = clock(ARGV[1]) + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if deadline > current then redis.call('SET', KEYS[1], deadline, 'PX', tonumber(ARGV[2])) end
return 1
`;

type Script = (...args: Array<string | number>) => Promise<unknown>;

interface RedisBudgetOptions {
  /** Key prefix (the daemon's queue prefix): one budget per deployment. */
  prefix: string;
  limits: BudgetLimits;
  /** Tests pass a fake clock; unset, Redis's clock is the one every replica reads. */
  clock?: Clock;
}

const BY: Record<number, RefusedBy> = { 0: 'paused', 1: 'vault', 2: 'subscription' };

/** The request budget in Redis: a sliding log per vault and class plus the subscription's, checked atomically. */
export class RedisRequestBudget implements RequestBudget {
  private readonly instance = randomUUID().slice(0, 8);
  private sequence = 0;
  private readonly scripts: { take: Script; settle: Script; pause: Script };

  constructor(
    redis: Redis,
    private readonly options: RedisBudgetOptions,
  ) {
    const define = (name: string, lua: string): Script => {
      redis.defineCommand(name, { lua });
      const command = (redis as unknown as Record<string, Script>)[name];
      if (command === undefined) throw new Error(`ioredis did not define ${name}`);
      return command.bind(redis);
    };
    this.scripts = {
      take: define('rotatorBudgetTake', TAKE),
      settle: define('rotatorBudgetSettle', SETTLE),
      pause: define('rotatorBudgetPause', PAUSE),
    };
  }

  private now(): string {
    return this.options.clock === undefined ? '' : String(this.options.clock.now().toMillis());
  }

  private logs(vault: string, kind: RequestClass): Array<{ key: string; max: number; windowMs: number }> {
    const [own, subscription] = limitsFor(this.options.limits, vault, kind);
    const base = `${this.options.prefix}:budget`;
    return [
      { key: `${base}:${vaultKey(vault)}:${kind}`, ...(own as { max: number; windowMs: number }) },
      { key: `${base}:subscription:${kind}`, ...(subscription as { max: number; windowMs: number }) },
    ];
  }

  private pauseKey(vault: string): string {
    return `${this.options.prefix}:budget:${vaultKey(vault)}:paused`;
  }

  async take(vault: string, kind: RequestClass): Promise<SlotDecision> {
    const logs = this.logs(vault, kind);
    const id = `${this.instance}:${(this.sequence += 1)}`;
    const limits = logs.flatMap((l) => [l.max, l.windowMs]);
    const keys = [this.pauseKey(vault), ...logs.map((l) => l.key)];
    const reply = (await this.scripts.take(keys.length, ...keys, this.now(), id, ...limits)) as number[];
    if (reply[0] === 1) return { granted: true, slot: { vault, kind, id } };
    return { granted: false, waitMs: Number(reply[1]), by: BY[Number(reply[2])] ?? 'vault' };
  }

  async settle(slot: BudgetSlot): Promise<void> {
    const logs = this.logs(slot.vault, slot.kind);
    const keys = logs.map((l) => l.key);
    await this.scripts.settle(keys.length, ...keys, this.now(), slot.id, ...logs.map((l) => l.windowMs));
  }

  async pause(vault: string, ms: number): Promise<void> {
    await this.scripts.pause(1, this.pauseKey(vault), this.now(), Math.max(1, Math.ceil(ms)));
  }
}
