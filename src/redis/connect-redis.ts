import { Redis, type RedisOptions } from 'ioredis';
import { RotatorError } from '../errors';
import { maskRedisUrl } from './redis-url';

/**
 * Who connects: the daemon waits for Redis forever once it runs (BullMQ's workers need that), while
 * a CLI command must fail fast with one line.
 */
type RedisClientKind = 'daemon' | 'cli';

const PROFILES: Record<
  RedisClientKind,
  { options: RedisOptions; code: 'CONFIG_INVALID' | 'REDIS_UNREACHABLE'; hint: string }
> = {
  daemon: {
    options: { maxRetriesPerRequest: null },
    code: 'CONFIG_INVALID',
    hint: 'start Redis (redis-server --daemonize yes) or fix REDIS_URL',
  },
  cli: {
    options: { maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => null },
    code: 'REDIS_UNREACHABLE',
    hint: 'start Redis (redis-server --daemonize yes) or set REDIS_URL to the daemon’s Redis',
  },
};

/** The one place a Redis connection is opened; its error names the URL with the password masked. */
export async function connectRedis(url: string, kind: RedisClientKind): Promise<Redis> {
  const profile = PROFILES[kind];
  const client = new Redis(url, { ...profile.options, lazyConnect: true });
  // The CLI reports the failure once, below; without a listener ioredis would also print it.
  if (kind === 'cli') client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new RotatorError(profile.code, `Redis at ${maskRedisUrl(url)} is not reachable`, {
      hint: profile.hint,
      cause: error,
    });
  }
  return client;
}
