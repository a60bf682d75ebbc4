import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { RedisPollLease } from '../../src/audit-watch/poll-lease';
import { RedisWatchState } from '../../src/audit-watch/watch-state';
import { pause } from '../support/wait';

describe('the watch state and scan lease in Redis', () => {
  const prefix = `t-audit-${randomUUID().slice(0, 8)}`;
  const clients = [new Redis('redis://127.0.0.1:6379/0'), new Redis('redis://127.0.0.1:6379/0')];
  const [a, b] = clients as [Redis, Redis];

  afterAll(async () => {
    // Only this test's keys, found by SCAN.
    let cursor = '0';
    do {
      const [next, keys] = await a.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await a.del(...keys);
    } while (cursor !== '0');
    for (const c of clients) c.disconnect();
  });

  it('moves the watermark forward only, so a slow replica can never move it back', async () => {
    const state = new RedisWatchState(a, prefix, 600);
    const t = DateTime.fromISO('2026-12-01T12:00:00.000Z', { zone: 'utc' });
    expect(await state.watermark()).toBeUndefined();
    await state.advance(t);
    await new RedisWatchState(b, prefix, 600).advance(t.minus({ minutes: 5 }));
    expect((await state.watermark())?.toISO()).toBe(t.toISO());
    await state.advance(t.plus({ minutes: 1 }));
    expect((await state.watermark())?.toISO()).toBe(t.plus({ minutes: 1 }).toISO());
  });

  it('lets exactly one of two replicas claim a read, and gives it back after a failure', async () => {
    const one = new RedisWatchState(a, prefix, 600);
    const two = new RedisWatchState(b, prefix, 600);
    const [first, second] = await Promise.all([one.claim(['r1', 'r2', 'r1']), two.claim(['r1', 'r2'])]);
    const winners = [first, second].flat().filter(Boolean);
    expect(winners).toHaveLength(2);
    expect(first?.[2]).toBe(false);
    await one.release(['r1']);
    expect(await two.claim(['r1'])).toEqual([true]);
    // Unconfirmed, a claim lapses soon (its replica may have died before recording); confirmed, it lasts.
    expect(await a.ttl(`${prefix}:rotator:audit:read:r1`)).toBeLessThanOrEqual(120);
    await two.confirm(['r1']);
    expect(await a.ttl(`${prefix}:rotator:audit:read:r1`)).toBeGreaterThan(120);
  });

  it('gives the scan lease to one replica per interval, and holds every replica off for a backoff', async () => {
    const lease = [new RedisPollLease(a, prefix), new RedisPollLease(b, prefix)];
    const held = await lease[0]?.take(400);
    expect(held).toBeDefined();
    expect(await lease[1]?.take(400)).toBeUndefined();
    held?.done();
    // Not released at the end of a scan: the interval runs out first.
    expect(await lease[1]?.take(400)).toBeUndefined();
    await pause(500);
    const next = await lease[1]?.take(400);
    expect(next).toBeDefined();
    next?.done(1_000);
    await pause(500);
    expect(await lease[0]?.take(400)).toBeUndefined();
    await pause(700);
    expect(await lease[0]?.take(400)).toBeDefined();
  });
});
