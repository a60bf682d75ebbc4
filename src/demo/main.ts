import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretClient } from '@azure/keyvault-secrets';
import { runEmulatorCommand } from '../emulator/command';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { systemClock } from '../clock/clock';
import { RedisRotationLock } from '../locking/redis-rotation-lock';
import { rotateSecret } from '../rotation';
import { createKeyVaultTarget } from '../targets/keyvault';
import { clientOptionsTrusting, createSecretStores, staticTokenCredential } from '../vault';
import { DateTime } from 'luxon';

/**
 * The embedded default: an emulated Key Vault with its state in .rotator/, seeded with a few managed
 * service accounts. The daemon joins it once the scheduling issue lands.
 */
const DEMO_SECRETS = ['svc-orders-api', 'svc-billing-batch', 'svc-reporting'];

async function main(): Promise<void> {
  const dir = join(process.cwd(), '.rotator');
  mkdirSync(dir, { recursive: true });
  const emulator = await runEmulatorCommand({
    port: 0,
    dataFile: join(dir, 'demo-vault.json'),
    stdout: process.stderr,
  });
  const client = new SecretClient(
    emulator.url,
    staticTokenCredential('demo'),
    clientOptionsTrusting(readFileSync(emulator.caFile, 'utf8'), {
      disableChallengeResourceVerification: true,
    }),
  );
  for (const name of DEMO_SECRETS) {
    const existing = await client.getSecret(name).catch(() => undefined);
    if (existing === undefined) {
      await client.setSecret(name, 'initial-value-set-by-demo', { tags: { 'rotation-target': 'keyvault' } });
      console.error(`demo: seeded managed secret ${name} (rotation-target=keyvault)`);
    }
  }
  await rotateOnce(emulator.url, emulator.caFile);
  console.error(
    [
      'demo: the emulated Key Vault is running. In a second terminal:',
      `  export ROTATOR_VAULT_URL=${emulator.url} ROTATOR_VAULT_CA_FILE=${emulator.caFile} ROTATOR_VAULT_TOKEN=demo`,
      'demo: rotation, checkout and status arrive with the scheduling and CLI issues. Ctrl-C stops the demo.',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => void emulator.close().then(resolve, resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Shows the engine at work: one manual rotation of each demo secret, values never printed. */
async function rotateOnce(url: string, caFile: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
  } catch {
    console.error(
      'demo: Redis is not reachable on 127.0.0.1:6379; start one with: redis-server --daemonize yes',
    );
    process.exit(2);
  }
  const [store] = createSecretStores({ vaultUrls: [url], vaultCaFile: caFile, vaultToken: 'demo' });
  if (store === undefined) return;
  const keyvault = createKeyVaultTarget();
  for (const name of DEMO_SECRETS) {
    const result = await rotateSecret(
      { secretName: name, reason: 'manual', triggeredAt: DateTime.utc() },
      {
        store,
        target: (kind) => (kind === 'keyvault' ? keyvault : undefined),
        lock: new RedisRotationLock(redis, { prefix: 'rotator-demo' }),
        clock: systemClock,
        newRotationId: () => randomUUID(),
        verifyAttempts: 1,
        verifyDelayMs: 0,
        sleep: () => Promise.resolve(),
      },
    );
    console.error(
      `demo: rotated ${name}: ${result.outcome}, new version ${result.version ?? '?'} (rotation ${result.rotationId ?? '?'})`,
    );
  }
  await redis.quit();
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
