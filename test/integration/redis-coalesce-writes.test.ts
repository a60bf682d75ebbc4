import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RedisRotationLock } from '../../src/locking/redis-rotation-lock';
import { coalesceWrites } from '../../src/redis';
import { deleteKeys } from '../support/redis-scan';

/** Counts the writes that leave the connection's socket (one per system call). */
function countWrites(redis: Redis): { writes: () => number } {
  const socket = redis.stream as Socket & {
    _write(chunk: unknown, encoding: BufferEncoding, done: (error?: Error | null) => void): void;
    _writev?(chunks: Array<{ chunk: unknown }>, done: (error?: Error | null) => void): void;
  };
  let writes = 0;
  const write = socket._write.bind(socket);
  const writev = socket._writev?.bind(socket);
  socket._write = (chunk, encoding, done) => {
    writes += 1;
    write(chunk, encoding, done);
  };
  if (writev !== undefined) {
    socket._writev = (chunks, done) => {
      writes += 1;
      writev(chunks, done);
    };
  }
  return { writes: () => writes };
}

describe('commands coalesced into one write', () => {
  let redis: Redis;
  const prefix = `t-coalesce-${randomUUID().slice(0, 8)}`;

  beforeEach(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    await redis.ping();
  });
  afterEach(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it('sends each command in a write of its own without it', async () => {
    const socket = countWrites(redis);
    await Promise.all([
      redis.set(`${prefix}:a`, '1'),
      redis.set(`${prefix}:b`, '2'),
      redis.get(`${prefix}:a`),
    ]);
    expect(socket.writes()).toBe(3);
  });

  it('sends the commands of one callback and its promise continuations in one write, replies in order', async () => {
    const socket = countWrites(redis);
    coalesceWrites(redis);
    const replies = await Promise.all([
      redis.set(`${prefix}:a`, '1'),
      redis.hset(`${prefix}:h`, 'field', 'value'),
      redis.get(`${prefix}:a`),
    ]);
    expect(replies).toEqual(['OK', 1, '1']);
    expect(socket.writes()).toBe(1);
  });

  it('a lock release, the outcome and the next command of the same turn leave together', async () => {
    const lock = new RedisRotationLock(redis, { prefix, leaseMs: 5_000 });
    const lease = await lock.acquire('secret');
    const socket = countWrites(redis);
    await lease?.release();
    const recorded = redis.hset(`${prefix}:outcomes`, 'secret', 'rotated');
    // Sent after the release on the same connection, so Redis has run the release first.
    const again = await lock.acquire('secret');
    expect(again).toBeDefined();
    await recorded;
    expect(socket.writes()).toBe(1);
    await again?.release();
  });

  it('sends at once when the connection is not ready, and the command still completes', async () => {
    const lazy = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      coalesceWrites(lazy);
      await expect(lazy.set(`${prefix}:lazy`, '1')).resolves.toBe('OK');
    } finally {
      lazy.disconnect();
    }
  });
});
