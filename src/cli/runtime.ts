import { Queue } from 'bullmq';
import { Duration } from 'luxon';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../clock';
import { loadConfig, type Config, type Environment } from '../config';
import { RotatorError } from '../errors';
import { connectRedis } from '../redis';
import { OutcomeStore, QUEUE, RotationScheduler, scheduleHorizon, type RotationJobData } from '../scheduling';
import { TAG, isManaged } from '../tags';
import { TARGET_KINDS } from '../targets';
import { createSecretStores, type SecretStore, type SecretWithValue } from '../vault';

/** What the operator commands share: configuration, vaults, and Redis opened only when needed. */
export interface CliRuntime {
  config: Config;
  stores: SecretStore[];
  clock: Clock;
  redis(): Promise<Redis>;
  rotations(): Promise<Queue<RotationJobData>>;
  usage(): Promise<Queue>;
  scheduler(): Promise<RotationScheduler>;
  outcomes(): Promise<OutcomeStore>;
  close(): Promise<void>;
}

function requireVault(config: Config): void {
  if (config.vaultUrls.length > 0) return;
  throw new RotatorError('CONFIG_INVALID', 'ROTATOR_VAULT_URL is not set', {
    hint: 'export ROTATOR_VAULT_URL=https://<vault>.vault.azure.net (the demo prints the emulator’s)',
    exitCode: 2,
  });
}

export function openRuntime(env: Environment, options: { needsVault?: boolean } = {}): CliRuntime {
  const config = loadConfig(env);
  if (options.needsVault ?? true) requireVault(config);
  const stores = createSecretStores(config);
  let connection: Promise<Redis> | undefined;
  const queues: Array<Queue> = [];
  const open = <T>(make: (redis: Redis) => T): (() => Promise<T>) => {
    let made: T | undefined;
    return async () => {
      made ??= make(await redis());
      return made;
    };
  };
  const redis = (): Promise<Redis> => {
    // A CLI must fail fast with one line, not retry forever like a daemon.
    connection ??= connectRedis(config.redisUrl, 'cli');
    return connection;
  };
  const rotations = open((client) => {
    const queue = new Queue<RotationJobData>(QUEUE.rotations, {
      connection: client,
      prefix: config.queuePrefix,
    });
    queues.push(queue as Queue);
    return queue;
  });
  const usage = open((client) => {
    const queue = new Queue(QUEUE.usage, { connection: client, prefix: config.queuePrefix });
    queues.push(queue);
    return queue;
  });
  let scheduler: RotationScheduler | undefined;
  return {
    config,
    stores,
    clock: systemClock,
    redis,
    rotations,
    usage,
    scheduler: async () => {
      scheduler ??= new RotationScheduler(await rotations(), await redis(), config.queuePrefix, systemClock, {
        attempts: config.maxAttempts,
        horizon: scheduleHorizon(Duration.fromMillis(config.sweepInterval.ms)),
      });
      return scheduler;
    },
    outcomes: open((client) => new OutcomeStore(client, config.queuePrefix)),
    close: async () => {
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
      if (connection !== undefined) {
        const client = await connection.catch(() => undefined);
        client?.disconnect();
      }
    },
  };
}

/** Finds a secret in the configured vaults; an unknown name is bad input (exit 2). */
export async function findSecret(
  runtime: CliRuntime,
  name: string,
): Promise<{ store: SecretStore; secret: SecretWithValue }> {
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new RotatorError('USAGE_INVALID', `'${name}' is not a Key Vault secret name`, {
      hint: 'use 1-127 letters, digits and dashes',
      exitCode: 2,
    });
  }
  for (const store of runtime.stores) {
    const secret = await store.get(name);
    if (secret !== undefined) {
      if (!isManaged(secret.tags)) {
        throw new RotatorError(
          'SECRET_MISCONFIGURED',
          `${name} in ${store.vaultUrl} is not managed by the rotator`,
          {
            hint: `tag it with ${TAG.target} (${TARGET_KINDS.join(', ')}) to manage it`,
            exitCode: 2,
          },
        );
      }
      return { store, secret };
    }
  }
  throw new RotatorError(
    'SECRET_NOT_FOUND',
    `no secret named ${name} in ${runtime.stores.map((s) => s.vaultUrl).join(', ')}`,
    {
      hint: 'check the name with `rotator status`',
      exitCode: 2,
    },
  );
}
