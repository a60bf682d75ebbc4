import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AccessRequest } from '../../src/access/access-request';
import { RedisAccessStore } from '../../src/access-store/redis-access-store';
import { deleteKeys } from '../support/redis-scan';

const request = (id: string, createdAt: string): AccessRequest => ({
  id,
  secret: 'svc-a',
  vault: 'https://v',
  requester: { id: 'oid-bob', name: 'bob@contoso.example' },
  reason: 'INC-1 fix',
  ticket: 'INC-1',
  duration: 'PT1H',
  durationMs: 3600_000,
  createdAt,
  decideBy: new Date(Date.now() + 3600_000).toISOString(),
  state: 'pending',
});

describe('the Redis access store', () => {
  const redis = new Redis('redis://127.0.0.1:6379/0');
  const prefix = `t-access-store-${randomUUID().slice(0, 8)}`;
  const store = new RedisAccessStore(redis, prefix);

  afterAll(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it('keeps requests with a time to live, lists the newest first, and reads back what it wrote', async () => {
    const first = request('a-1', '2026-12-01T10:00:00Z');
    await store.create(first);
    await store.create(request('a-2', '2026-12-01T10:05:00Z'));
    expect((await store.list()).map((r) => r.id)).toEqual(['a-2', 'a-1']);
    expect(await store.get('a-1')).toEqual(first);
    expect(await redis.pttl(`${prefix}:access:request:a-1`)).toBeGreaterThan(3600_000);
    expect(await store.get('../../etc')).toBeUndefined();
  });

  it('lets exactly one of many racing transitions win (one approval, one use)', async () => {
    await store.create(request('race', '2026-12-01T11:00:00Z'));
    const base = (await store.get('race')) as AccessRequest;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.transition('race', 'pending', {
          ...base,
          state: 'approved',
          approver: { id: `oid-${i}`, name: `a${i}` },
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.get('race'))?.state).toBe('approved');
    expect(await store.transition('missing', 'pending', base)).toBe(false);
  });

  it('forgets requests whose records are gone (a lost Redis fails closed)', async () => {
    await redis.del(`${prefix}:access:request:a-1`);
    expect((await store.list()).map((r) => r.id)).not.toContain('a-1');
    expect(await store.get('a-1')).toBeUndefined();
  });
});
