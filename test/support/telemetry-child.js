'use strict';
// Runs inside a network namespace of its own (see telemetry-azure-monitor.test.ts): a fake Azure
// Monitor ingestion endpoint, the real distro and exporter, the Key Vault emulator, a Redis started by
// the wrapper, and a daemon that performs a scheduled rotation and a checkout-forced rotation.
const { readFileSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:https');
const { gunzipSync } = require('node:zlib');
const dist = (p) => require(`../../dist/${p}`);

function startIngestion() {
  const envelopes = [];
  const server = createServer(
    { cert: readFileSync(process.env.INGEST_CERT), key: readFileSync(process.env.INGEST_KEY) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        let count = 0;
        if (req.url.includes('/v2.1/track') || req.url.includes('/v2/track')) {
          const text = body.toString('utf8').trim();
          const items = text.startsWith('[')
            ? JSON.parse(text)
            : text
                .split('\n')
                .filter(Boolean)
                .map((l) => JSON.parse(l));
          envelopes.push(...items);
          count = items.length;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: count, itemsAccepted: count, errors: [] }));
      });
    },
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, envelopes, port: server.address().port })),
  );
}

async function main() {
  const ingestion = await startIngestion();
  const { startTelemetry } = dist('telemetry/setup');
  const telemetry = startTelemetry({
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${ingestion.port}/;LiveEndpoint=https://127.0.0.1:${ingestion.port}/`,
    serviceName: 'rotator',
    serviceVersion: 'test',
    console: 'off',
  });
  const { Queue } = require('bullmq');
  const { Redis } = require('ioredis');
  const { DateTime } = require('luxon');
  const { loadConfig } = dist('config');
  const { startEmulator } = dist('emulator');
  const { startDaemon } = dist('daemon/daemon');
  const { createLogger } = dist('logging/logger');
  const { daemonTelemetryHooks } = dist('telemetry');
  const { createKeyVaultTarget } = dist('targets/keyvault');
  const { createSecretStores } = dist('vault');
  const { systemClock } = dist('clock/clock');

  const emulator = await startEmulator({ port: 0 });
  const config = loadConfig({
    ROTATOR_VAULT_URL: emulator.url,
    ROTATOR_VAULT_CA_FILE: emulator.caFile,
    ROTATOR_VAULT_TOKEN: 'telemetry',
    REDIS_URL: process.env.REDIS_URL,
    ROTATOR_ROTATION_INTERVAL: 'P1D',
    ROTATOR_USAGE_GRACE: 'PT1S',
    ROTATOR_SWEEP_INTERVAL: 'PT1S',
    // Two attempts, one second apart: svc-flaky fails once then rotates; svc-broken is quarantined.
    ROTATOR_MAX_ATTEMPTS: '2',
    ROTATOR_RETRY_BACKOFF: 'PT1S',
  });
  const [store] = createSecretStores(config);
  await store.set('svc-overdue', 'initial-a', {
    tags: { 'rotation-target': 'keyvault', 'rotated-at': DateTime.utc().minus({ days: 2 }).toISO() },
  });
  await store.set('svc-checked-out', 'initial-b', { tags: { 'rotation-target': 'keyvault' } });
  for (const name of ['svc-flaky', 'svc-broken']) {
    await store.set(name, `initial-${name}`, {
      tags: { 'rotation-target': 'keyvault', 'rotated-at': DateTime.utc().minus({ days: 2 }).toISO() },
    });
  }
  const logLines = [];
  const logger = createLogger({ level: 'info' }, { write: (line) => logLines.push(line) });
  const { RotatorError } = dist('errors');
  const plain = createKeyVaultTarget();
  const applied = new Map();
  // A target that is down: a transient error, retried, then (svc-broken) quarantined.
  const keyvault = {
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
  const daemon = await startDaemon({
    config,
    stores: [store],
    targets: (kind) => (kind === 'keyvault' ? keyvault : undefined),
    logger,
    clock: systemClock,
    healthPort: 0,
    ...daemonTelemetryHooks(logger),
  });
  const usage = new Queue('usage-events', { connection: { url: process.env.REDIS_URL }, prefix: 'bull' });
  await usage.add('checkout', {
    secret: 'svc-checked-out',
    actor: 'alice',
    reason: 'INC-7 telemetry test',
    at: DateTime.utc().toISO(),
    checkoutId: 'checkout-telemetry-1',
  });
  await usage.add('checkout', { secret: 'no such secret', actor: 'mallory', reason: 'fuzz', at: 'never' });
  const rotated = async (name) => {
    for await (const v of store.listVersions(name)) if (v.tags['rotation-id']) return true;
    return false;
  };
  const outcomes = new Redis(process.env.REDIS_URL);
  const { secretKey } = dist('scheduling/job-ids');
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
    await new Promise((r) => setTimeout(r, 200));
  }
  // One more sweep, so the shared snapshot counts the quarantined secret.
  await new Promise((r) => setTimeout(r, 2500));
  outcomes.disconnect();
  const redis = new Redis(process.env.REDIS_URL);
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
    JSON.stringify({
      envelopes: ingestion.envelopes,
      values,
      redis: redisDump.join('\n'),
      logs: logLines.join(''),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
