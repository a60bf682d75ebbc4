import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RotatorError } from '../errors';

/** Reads maxmemory-policy from INFO, which managed Redis services allow where CONFIG GET is blocked. */
async function evictionPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * An evicting Redis silently drops queue keys (bullmq#2215). Key Vault stays the source of truth and
 * the sweep rebuilds, but a checkout's forced rotation could be late by a sweep: refuse, or warn loudly.
 */
export async function checkEvictionPolicy(
  redis: Redis,
  mode: 'refuse' | 'warn',
  logger: Logger,
): Promise<void> {
  const policy = await evictionPolicy(redis);
  if (policy === 'noeviction') return;
  const message = `Redis maxmemory-policy is '${policy ?? 'unknown'}', not 'noeviction'`;
  if (mode === 'warn') {
    logger.warn({ policy }, `${message}: queue keys may be evicted; the sweep will rebuild them`);
    return;
  }
  throw new RotatorError('CONFIG_INVALID', message, {
    hint: 'run `CONFIG SET maxmemory-policy noeviction` on Redis (Azure Managed Redis: evictionPolicy NoEviction), or set ROTATOR_REDIS_EVICTION_CHECK=warn',
    exitCode: 2,
  });
}
