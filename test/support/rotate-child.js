'use strict';
// Runs one rotation in a process of its own, from the compiled build, so that a test can SIGKILL it
// at a step boundary or race two of them. Arguments come as one JSON object in argv[2].
const { randomUUID } = require('node:crypto');
const { Redis } = require('ioredis');
const { DateTime } = require('luxon');
const dist = (p) => require(`../../dist/${p}`);
const { systemClock } = dist('clock/clock');
const { RedisRotationLock } = dist('locking/redis-rotation-lock');
const { rotateSecret } = dist('rotation');
const { createKeyVaultTarget } = dist('targets/keyvault');
const { createSecretStores } = dist('vault');

async function main() {
  const args = JSON.parse(process.argv[2]);
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const [store] = createSecretStores({
    vaultUrls: [args.vaultUrl],
    vaultCaFile: args.caFile,
    vaultToken: 'child',
  });
  const targets = { keyvault: createKeyVaultTarget() };
  // `postgres` is the target policy that lets the child touch the test's cluster.
  if (args.postgres)
    targets.postgres = dist('targets/postgres').createPostgresTarget({ policy: args.postgres });
  try {
    const result = await rotateSecret(
      {
        secretName: args.secretName,
        reason: 'manual',
        triggeredAt: DateTime.fromISO(args.triggeredAt, { zone: 'utc' }),
      },
      {
        store,
        target: (kind) => targets[kind],
        // A short lease lets crash tests run many kills without waiting 2 s for each dead holder.
        lock: new RedisRotationLock(redis, { prefix: args.prefix, leaseMs: args.leaseMs ?? 2000 }),
        clock: systemClock,
        newRotationId: () => randomUUID(),
        verifyAttempts: 3,
        verifyDelayMs: 50,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        onStep: (step) => {
          if (step === args.killAt) process.kill(process.pid, 'SIGKILL');
        },
      },
    );
    process.stdout.write(
      `${JSON.stringify({ ok: true, outcome: result.outcome, recovery: result.recovery ?? null })}\n`,
    );
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, code: error.code ?? 'UNEXPECTED' })}\n`);
  } finally {
    redis.disconnect();
  }
}

void main();
