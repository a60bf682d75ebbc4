import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { connectRedis } from '../redis';
import type { DaemonPart } from './daemon-part';
import { checkEvictionPolicy } from './redis-eviction';

interface RedisPart extends DaemonPart {
  redis: Redis;
}

/** The daemon's one Redis connection, shared by queues, workers, locks and outcomes. */
export async function startRedis(
  config: Pick<Config, 'redisUrl' | 'evictionPolicyCheck'>,
  logger: Logger,
): Promise<RedisPart> {
  const redis = await connectRedis(config.redisUrl, 'daemon');
  try {
    await checkEvictionPolicy(redis, config.evictionPolicyCheck, logger);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return {
    name: 'redis',
    redis,
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
