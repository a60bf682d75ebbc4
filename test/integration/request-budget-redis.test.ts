import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { BudgetLimits, RequestClass } from '../../src/budget';
import type { Clock } from '../../src/clock';
import { RedisRequestBudget } from '../../src/redis';
import { deleteKeys } from '../support/redis-scan';

const A = 'https://a.vault.azure.net';
const B = 'https://b.vault.azure.net';
const W = 1_000;
const LIMITS: BudgetLimits = {
  byDefault: { writes: { max: 3, windowMs: W }, others: { max: 5, windowMs: W } },
  vaults: {},
  subscription: { writes: { max: 4, windowMs: W }, others: { max: 50, windowMs: W } },
};

/** One clock for both replicas, moved by the test: no assertion depends on real time. */
class TestClock implements Clock {
  ms = 1_000_000;
  now(): DateTime {
    return DateTime.fromMillis(this.ms, { zone: 'utc' });
  }
}

describe('the request budget in Redis, shared by two replicas', () => {
  const prefix = `t-budget-${randomUUID().slice(0, 8)}`;
  const connections: Redis[] = [];
  let clock: TestClock;
  let one: RedisRequestBudget;
  let two: RedisRequestBudget;

  const replica = (limits = LIMITS, withClock = true): RedisRequestBudget => {
    const redis = new Redis('redis://127.0.0.1:6379/0', { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return new RedisRequestBudget(redis, {
      prefix,
      limits,
      ...(withClock && { clock }),
    });
  };

  beforeEach(async () => {
    const [admin] = connections;
    if (admin !== undefined) {
      await deleteKeys(admin, `${prefix}:*`);
    }
    clock = new TestClock();
    one = replica();
    two = replica();
  });

  afterAll(async () => {
    const [admin] = connections;
    const keys = (await admin?.keys(`${prefix}:*`)) ?? [];
    if (keys.length > 0) await admin?.del(...keys);
    connections.forEach((c) => c.disconnect());
  });

  async function tryBoth(vault: string, kind: RequestClass): Promise<number> {
    let granted = 0;
    for (const budget of [one, two]) {
      const d = await budget.take(vault, kind);
      if (d.granted) {
        granted += 1;
        await budget.settle(d.slot);
      }
    }
    return granted;
  }

  it('never lets more than the budget into any window, whichever replica asks', async () => {
    const grants: number[] = [];
    for (let t = 0; t <= 5_000; t += 50) {
      clock.ms = 1_000_000 + t;
      for (let i = await tryBoth(A, 'write'); i > 0; i -= 1) grants.push(t);
    }
    for (const t of grants) expect(grants.filter((g) => g > t - W && g <= t).length).toBeLessThanOrEqual(3);
    // And the budget is used, not trickled: each of the five whole windows holds all three.
    expect(grants.filter((g) => g < 5 * W).length).toBe(3 * 5);
  });

  it('counts a slot from its answer: a slow request holds its slot a full window after it returns', async () => {
    const slow = await one.take(A, 'write');
    clock.ms += 600;
    await tryBoth(A, 'write'); // the two other slots
    if (slow.granted) await one.settle(slow.slot);
    clock.ms += 500; // 1,100 ms after the slow one was sent, 500 after its answer
    expect((await two.take(A, 'write')).granted).toBe(false);
    clock.ms += 500;
    expect((await two.take(A, 'write')).granted).toBe(true);
  });

  it('says how long until a slot frees and which budget refused', async () => {
    await tryBoth(A, 'write');
    clock.ms += 200;
    await one.take(A, 'write');
    expect(await two.take(A, 'write')).toEqual({ granted: false, waitMs: 800, by: 'vault' });
  });

  it('counts writes and other operations apart', async () => {
    for (let i = 0; i < 3; i += 1) await one.take(A, 'write');
    expect((await two.take(A, 'write')).granted).toBe(false);
    expect((await two.take(A, 'other')).granted).toBe(true);
  });

  it('caps all vaults together at the subscription budget', async () => {
    for (let i = 0; i < 3; i += 1) expect((await one.take(A, 'write')).granted).toBe(true);
    expect((await two.take(B, 'write')).granted).toBe(true);
    const refused = await two.take(B, 'write');
    expect(refused.granted === false && refused.by).toBe('subscription');
  });

  it('pauses only the vault that answered 429, for every replica, until Retry-After passes', async () => {
    await one.pause(A, 2_000);
    expect(await two.take(A, 'other')).toEqual({ granted: false, waitMs: 2_000, by: 'paused' });
    expect((await two.take(B, 'other')).granted).toBe(true);
    await two.pause(A, 500); // a shorter pause never cuts a longer one short
    clock.ms += 1_999;
    expect((await one.take(A, 'other')).granted).toBe(false);
    clock.ms += 1;
    expect((await one.take(A, 'other')).granted).toBe(true);
  });

  it("reads Redis's own clock when given none, and lets its logs expire", async () => {
    const real = replica(LIMITS, false);
    const d = await real.take(A, 'write');
    expect(d.granted).toBe(true);
    const [admin] = connections;
    const ttl = (await admin?.pttl(`${prefix}:budget:${A}:write`)) ?? -1;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(W);
  });
});
