import type { Redis } from 'ioredis';

/** Every key under `prefix:`, by SCAN (never KEYS), a page at a time. */
async function* keysUnder(redis: Redis, prefix: string): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/**
 * Removes the keys of one bench run only. The bench shares its Redis databases with other runs of
 * itself (the smoke test in `npm test`), so a FLUSHDB mid-run would pull another run's jobs away.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of keysUnder(redis, prefix)) await redis.unlink(...keys);
}

/** Bytes Redis reports for the keys under `prefix:` (MEMORY USAGE, all nested values counted). */
export async function memoryUnder(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  for await (const page of keysUnder(redis, prefix)) {
    for (let i = 0; i < page.length; i += 1_000) {
      const pipeline = redis.pipeline();
      for (const key of page.slice(i, i + 1_000)) pipeline.memory('USAGE', key, 'SAMPLES', 0);
      for (const [error, used] of (await pipeline.exec()) ?? []) {
        if (error === null && typeof used === 'number') bytes += used;
      }
    }
    keys += page.length;
  }
  return { keys, bytes };
}

/** Redis' own `used_memory` (the whole instance, every database). */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}
