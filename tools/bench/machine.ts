import { cpus, loadavg, totalmem } from 'node:os';
import { Redis } from 'ioredis';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  redis: string;
  /** 1-minute load average when the bench started: other work on the machine skews the rates. */
  loadAverage: number;
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
      loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    };
  } finally {
    redis.disconnect();
  }
}
