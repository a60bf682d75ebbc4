'use strict';
// Runs inside a network namespace of its own (see telemetry-azure-monitor.test.ts): a fake Azure
// Monitor ingestion endpoint, the real distro and exporter, the Key Vault emulator, a Redis started by
// the wrapper, and a daemon that performs a scheduled rotation and a checkout-forced rotation.
const { writeFileSync } = require('node:fs');
const kit = require('./telemetry-child-common');

/** A target that is down: a transient error, retried, then (svc-broken) quarantined. */
function failingTarget(plain) {
  const { RotatorError } = kit.dist('errors');
  const applied = new Map();
  return {
    ...plain,
    apply: (ctx, value) => {
      const n = (applied.get(ctx.secretName) ?? 0) + 1;
      applied.set(ctx.secretName, n);
      const down = ctx.secretName === 'svc-broken' || (ctx.secretName === 'svc-flaky' && n === 1);
      return down
        ? Promise.reject(
            new RotatorError('TARGET_UNREACHABLE', 'the target did not answer', { hint: 'retried' }),
          )
        : plain.apply(ctx, value);
    },
  };
}

/** Every key in the child's own Redis with its content, for the leak check. */
async function dumpRedis(redis) {
  const redisDump = [];
  for (const key of await redis.keys('*')) {
    redisDump.push(key);
    const type = await redis.type(key);
    if (type === 'string') redisDump.push(await redis.get(key));
    if (type === 'hash') redisDump.push(JSON.stringify(await redis.hgetall(key)));
    if (type === 'list') redisDump.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    if (type === 'zset') redisDump.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    if (type === 'stream') redisDump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return redisDump.join('\n');
}

async function main() {
  const ingestion = await kit.startIngestion();
  const telemetry = kit.startAzureMonitor(ingestion.port, { live: true });
  const { Redis } = require('ioredis');
  const { emulator, store, daemon, logLines, usage } = await kit.startRotation({
    token: 'telemetry',
    env: {
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
      // Two attempts, one second apart: svc-flaky fails once then rotates; svc-broken is quarantined.
      ROTATOR_MAX_ATTEMPTS: '2',
      ROTATOR_RETRY_BACKOFF: 'PT1S',
    },
    secrets: [
      ['svc-overdue', 'initial-a', kit.overdueTags()],
      ['svc-checked-out', 'initial-b', { 'rotation-target': 'keyvault' }],
      ...['svc-flaky', 'svc-broken'].map((name) => [name, `initial-${name}`, kit.overdueTags()]),
    ],
    wrapTarget: failingTarget,
  });
  await kit.checkout(usage, 'svc-checked-out', 'INC-7 telemetry test', 'checkout-telemetry-1');
  await usage.add('checkout', { secret: 'no such secret', actor: 'mallory', reason: 'fuzz', at: 'never' });
  const rotated = async (name) => {
    for await (const v of store.listVersions(name)) if (v.tags['rotation-id']) return true;
    return false;
  };
  const outcomes = new Redis(process.env.REDIS_URL);
  const { secretKey } = kit.dist('scheduling/job-ids');
  const quarantined = async () =>
    JSON.parse((await outcomes.hget('bull:rotator:outcomes', secretKey(emulator.url, 'svc-broken'))) ?? '{}')
      .outcome === 'quarantined';
  const deadline = Date.now() + 40_000;
  while (!(
    (await rotated('svc-overdue')) &&
    (await rotated('svc-checked-out')) &&
    (await rotated('svc-flaky')) &&
    (await quarantined())
  )) {
    if (Date.now() > deadline) throw new Error('rotations did not happen');
    await kit.sleep(200);
  }
  // One more sweep, so the shared snapshot counts the quarantined secret.
  await kit.sleep(2500);
  outcomes.disconnect();
  const redis = new Redis(process.env.REDIS_URL);
  const redisDump = await dumpRedis(redis);
  redis.disconnect();
  await usage.close();
  await daemon.stop();
  const values = [];
  for (const name of ['svc-overdue', 'svc-checked-out', 'svc-flaky', 'svc-broken']) {
    // A retired (used) version is disabled and unreadable; the live ones are checked.
    for await (const v of store.listVersions(name))
      if (v.enabled) values.push((await store.get(name, v.version)).value);
  }
  await telemetry.shutdown();
  await emulator.close();
  ingestion.server.close();
  writeFileSync(
    process.env.OUT,
    JSON.stringify({ envelopes: ingestion.envelopes, values, redis: redisDump, logs: logLines.join('') }),
  );
}

kit.runMain(main);
