'use strict';
// What the telemetry children (telemetry-child.js, telemetry-outage-child.js) share: the fake Azure
// Monitor ingestion endpoint, the distro started against it, and the emulator with a daemon rotating its
// secrets. The rotator and its libraries are loaded inside these functions, never at the top: a child
// starts telemetry first, so the instrumentations patch the modules as they load.
const { readFileSync } = require('node:fs');
const { createServer } = require('node:https');
const { gunzipSync } = require('node:zlib');

const dist = (p) => require(`../../dist/${p}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Track envelopes as the exporter sends them: a JSON array or one envelope a line, maybe gzipped. */
function envelopesOf(req, raw) {
  if (!req.url.includes('/track')) return [];
  const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8').trim();
  if (text.startsWith('[')) return JSON.parse(text);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The fake ingestion endpoint (HTTPS, INGEST_CERT/INGEST_KEY) on `port`, keeping what it received. */
function startIngestion(port = 0) {
  const envelopes = [];
  const server = createServer(
    { cert: readFileSync(process.env.INGEST_CERT), key: readFileSync(process.env.INGEST_KEY) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const items = envelopesOf(req, Buffer.concat(chunks));
        envelopes.push(...items);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
      });
    },
  );
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ server, envelopes, port: server.address().port })),
  );
}

/** The real distro and exporter, sending to the ingestion endpoint on `port` (and its live metrics there too). */
function startAzureMonitor(port, { live = false, storageDirectory } = {}) {
  const endpoint = `https://127.0.0.1:${port}/`;
  const { startTelemetry } = dist('telemetry/setup');
  return startTelemetry({
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint}${live ? `;LiveEndpoint=${endpoint}` : ''}`,
    ...(storageDirectory !== undefined && { storageDirectory }),
    serviceName: 'rotator',
    serviceVersion: 'test',
    console: 'off',
  });
}

/** Tags of a managed secret last rotated two days ago: overdue at a one-day interval. */
function overdueTags() {
  const { DateTime } = require('luxon');
  return { 'rotation-target': 'keyvault', 'rotated-at': DateTime.utc().minus({ days: 2 }).toISO() };
}

/**
 * The Key Vault emulator holding `secrets` ([name, value, tags]) and a daemon with the telemetry hooks
 * rotating them daily through the Key Vault target (as `wrapTarget` changes it), with the Redis at
 * REDIS_URL; `env` adds to the daemon's configuration. The daemon's log lines are kept, and `usage` is
 * the queue a checkout is announced on.
 */
async function startRotation({ token, env, secrets, wrapTarget = (target) => target }) {
  const { Queue } = require('bullmq');
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
    ROTATOR_VAULT_TOKEN: token,
    REDIS_URL: process.env.REDIS_URL,
    ROTATOR_ROTATION_INTERVAL: 'P1D',
    ROTATOR_USAGE_GRACE: 'PT1S',
    ...env,
  });
  const [store] = createSecretStores(config);
  for (const [name, value, tags] of secrets) await store.set(name, value, { tags });
  const logLines = [];
  const logger = createLogger({ level: 'info' }, { write: (line) => logLines.push(line) });
  const keyvault = wrapTarget(createKeyVaultTarget());
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
  return { emulator, store, daemon, logLines, usage };
}

/** Announces a checkout of `secret` by alice on the usage queue, as the access API does. */
function checkout(usage, secret, reason, checkoutId) {
  const { DateTime } = require('luxon');
  return usage.add('checkout', { secret, actor: 'alice', reason, at: DateTime.utc().toISO(), checkoutId });
}

/** Runs the child's main and exits 0, or 1 with the stack on stderr. */
function runMain(main) {
  main().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    },
  );
}

module.exports = {
  dist,
  sleep,
  startIngestion,
  startAzureMonitor,
  overdueTags,
  startRotation,
  checkout,
  runMain,
};
