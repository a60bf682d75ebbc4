import { cpus, totalmem } from 'node:os';
import { Redis } from 'ioredis';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  redis: string;
}

export async function describeMachine(redisUrl: string): Promise<Machine> {
  const redis = new Redis(redisUrl);
  try {
    const info = await redis.info('server');
    return {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      redis: /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown',
    };
  } finally {
    redis.disconnect();
  }
}
