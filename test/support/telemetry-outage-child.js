'use strict';
// Runs inside a network namespace of its own (see telemetry-outage.test.ts): the real Azure Monitor
// distro and exporter with offline storage on, a daemon that rotates and checks out while the fake
// ingestion endpoint is down, then the endpoint comes back on the same port.
const { readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const kit = require('./telemetry-child-common');

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

async function main() {
  const port = await reservePort();
  const telemetry = kit.startAzureMonitor(port, { storageDirectory: process.env.STORAGE_DIR });
  const { emulator, daemon, logLines, usage } = await kit.startRotation({
    token: 'outage',
    env: { ROTATOR_SWEEP_INTERVAL: 'PT1H' },
    secrets: ['svc-a', 'svc-b', 'svc-c'].map((name) => [name, `initial-${name}`, kit.overdueTags()]),
  });
  const auditIds = () =>
    logLines
      .map((l) => JSON.parse(l))
      .filter((l) => l.audit !== undefined)
      .map((l) => l.audit.audit_id);
  // The checkout waits for the three scheduled rotations: recorded before the sweep listed svc-a, it
  // would make one rotation satisfy both triggers (rightly) and leave four records, not five, which a
  // loaded machine did. Then the checkout and the rotation it forces: five audit records. A bound,
  // not a timing claim: a loaded 2-core machine has needed more than 30 s for them.
  const deadline = Date.now() + 120_000;
  while (auditIds().length < 3) {
    if (Date.now() > deadline) throw new Error(`only ${auditIds().length} audit records before the checkout`);
    await kit.sleep(200);
  }
  await kit.checkout(usage, 'svc-a', 'INC-9 outage test', 'checkout-outage-1');
  while (auditIds().length < 5) {
    if (Date.now() > deadline) {
      const seen = logLines
        .map((l) => JSON.parse(l))
        .filter((l) => l.audit !== undefined)
        .map((l) => `${l.audit.action} ${l.audit.secret} ${l.audit.reason ?? ''} ${l.audit.outcome}`);
      throw new Error(`only ${auditIds().length} audit records: ${seen.join('; ')}`);
    }
    await kit.sleep(200);
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
    await kit.sleep(500);
  }
  const stored = storedFiles(process.env.STORAGE_DIR);
  const storedDuringOutage = stored.length;
  const upAt = Date.now();
  const ingestion = await kit.startIngestion(port);
  const received = () =>
    new Set(
      ingestion.envelopes
        .filter((e) => e.data?.baseData?.name === 'RotatorAudit')
        .map((e) => e.data.baseData.properties.audit_id),
    );
  const until = Date.now() + Number(process.env.DELIVERY_TIMEOUT_MS ?? 180_000);
  while (!ids.every((id) => received().has(id)) && Date.now() < until) await kit.sleep(1000);
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

kit.runMain(main);
