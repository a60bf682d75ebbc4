'use strict';
// Runs inside a network namespace of its own (see telemetry-outage.test.ts): the real Azure Monitor
// distro and exporter with offline storage on, a daemon that rotates and checks out while the fake
// ingestion endpoint is down, then the endpoint comes back on the same port.
const { readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:https');
const { join } = require('node:path');
const dist = (p) => require(`../../dist/${p}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function storedFiles(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(path);
    }
  };
  walk(dir);
  return found;
}

/** A free port, closed again: while nothing listens there, the exporter's requests are refused. */
function reservePort() {
  const server = require('node:net').createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }),
  );
}

function startIngestion(port) {
  const envelopes = [];
  const server = createServer(
    { cert: readFileSync(process.env.INGEST_CERT), key: readFileSync(process.env.INGEST_KEY) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const items = req.url.includes('/track') ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : [];
        envelopes.push(...items);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
      });
    },
  );
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, envelopes })));
}

async function main() {
  const port = await reservePort();
  const { startTelemetry } = dist('telemetry/setup');
  const telemetry = startTelemetry({
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
    storageDirectory: process.env.STORAGE_DIR,
    serviceName: 'rotator',
    serviceVersion: 'test',
    console: 'off',
  });
  const { Queue } = require('bullmq');
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
    ROTATOR_VAULT_TOKEN: 'outage',
    REDIS_URL: process.env.REDIS_URL,
    ROTATOR_ROTATION_INTERVAL: 'P1D',
    ROTATOR_USAGE_GRACE: 'PT1S',
    ROTATOR_SWEEP_INTERVAL: 'PT1H',
  });
  const [store] = createSecretStores(config);
  const names = ['svc-a', 'svc-b', 'svc-c'];
  for (const name of names) {
    await store.set(name, `initial-${name}`, {
      tags: { 'rotation-target': 'keyvault', 'rotated-at': DateTime.utc().minus({ days: 2 }).toISO() },
    });
  }
  const logLines = [];
  const logger = createLogger({ level: 'info' }, { write: (line) => logLines.push(line) });
  const keyvault = createKeyVaultTarget();
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
    secret: 'svc-a',
    actor: 'alice',
    reason: 'INC-9 outage test',
    at: DateTime.utc().toISO(),
    checkoutId: 'checkout-outage-1',
  });
  const auditIds = () =>
    logLines
      .map((l) => JSON.parse(l))
      .filter((l) => l.audit !== undefined)
      .map((l) => l.audit.audit_id);
  // Three scheduled rotations, the checkout and the rotation it forces: five audit records. A bound, not
  // a timing claim: a loaded 2-core machine has needed more than 30 s for them.
  const deadline = Date.now() + 120_000;
  while (auditIds().length < 5) {
    if (Date.now() > deadline) throw new Error(`only ${auditIds().length} audit records`);
    await sleep(200);
  }
  // Ingestion is down: wait until the exporter has stored every audit record it could not send.
  const ids = auditIds();
  const storedText = () =>
    storedFiles(process.env.STORAGE_DIR)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
  const storedBy = Date.now() + 60_000;
  while (!ids.every((id) => storedText().includes(id))) {
    if (Date.now() > storedBy)
      throw new Error('the exporter did not store the audit records while ingestion was down');
    await sleep(500);
  }
  const stored = storedFiles(process.env.STORAGE_DIR);
  const storedDuringOutage = stored.length;
  const upAt = Date.now();
  const ingestion = await startIngestion(port);
  const received = () =>
    new Set(
      ingestion.envelopes
        .filter((e) => e.data?.baseData?.name === 'RotatorAudit')
        .map((e) => e.data.baseData.properties.audit_id),
    );
  const until = Date.now() + Number(process.env.DELIVERY_TIMEOUT_MS ?? 180_000);
  while (!ids.every((id) => received().has(id)) && Date.now() < until) await sleep(1000);
  const deliveredAfterMs = Date.now() - upAt;
  await usage.close();
  await daemon.stop();
  await telemetry.shutdown();
  await emulator.close();
  ingestion.server.close();
  writeFileSync(
    process.env.OUT,
    JSON.stringify({
      ids,
      envelopes: ingestion.envelopes,
      storedDuringOutage,
      storedAfter: storedFiles(process.env.STORAGE_DIR).length,
      deliveredAfterMs,
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
