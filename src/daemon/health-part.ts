import type { Redis } from 'ioredis';
import { startHealthServer } from '../health';
import type { SecretStore } from '../vault';
import type { DaemonPart } from './daemon-part';
import type { DaemonState } from './lifecycle';

interface HealthPart extends DaemonPart {
  port: number;
}

/** `/healthz` and `/readyz`: ready while the daemon runs and Redis and every vault answer. */
export async function startHealth(options: {
  port: number;
  host: string | undefined;
  redis: Redis;
  stores: readonly SecretStore[];
  state: () => DaemonState;
}): Promise<HealthPart> {
  const checks: Record<string, () => Promise<void>> = {
    redis: async () => {
      await options.redis.ping();
    },
  };
  for (const store of options.stores) checks[store.vaultUrl] = () => store.ping();
  const server = await startHealthServer({
    port: options.port,
    host: options.host,
    checks,
    accepting: () => options.state() === 'running',
    state: options.state,
  });
  return { name: 'health server', port: server.port, stop: () => server.close() };
}
