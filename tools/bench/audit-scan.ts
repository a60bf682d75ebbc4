import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Duration } from 'luxon';
import pino from 'pino';
import {
  AUDIT_QUERY_COLUMNS,
  DEFAULT_TUNING,
  LogAnalyticsAuditSource,
  RedisPollLease,
  RedisWatchState,
  scanAuditLog,
  startAuditWatcher,
  type AuditLogSource,
  type ScanSummary,
} from '../../src/audit-watch';
import { systemClock } from '../../src/clock';
import { RedisRotationLock } from '../../src/locking';
import { recordUsage } from '../../src/scheduling';
import {
  isRotatorRequestId,
  ROTATOR_REQUEST_ID_PREFIX,
  rotatorRequestId,
  staticTokenCredential,
} from '../../src/vault';
import { deleteKeysUnder, memoryUnder } from './redis-keys';
import { inBatches, startRig } from './rig';
import { selfSignedLoopback } from './self-signed';
import { requestCount, round } from './stats';

/** What one scan of the audit log costs the daemon, and how many queries the watcher adds. */
export interface AuditScanCost {
  rows: number;
  pages: number;
  secrets: number;
  unbrokeredReads: number;
  secretsForced: number;
  scanMs: number;
  cpuMs: number;
  heapMb: number;
  keyVaultRequests: number;
  redisClaimKeys: number;
  redisClaimBytes: number;
  /** Three replicas polling: queries the workspace received per poll interval (the lease makes it one). */
  queriesPerPoll: number;
  queriesPerMinuteAtDefaultPoll: number;
  replicas: number;
}

const SELF_OID = '0e0e0e0e-0000-4000-8000-000000000001';
const READER_OID = '0e0e0e0e-0000-4000-8000-000000000002';
const STRANGER_OID = '0e0e0e0e-0000-4000-8000-000000000003';

type Cell = string | number | Record<string, unknown>;

/** The audit log of one busy poll: routine readers, the rotator itself, and a few strangers' reads. */
function auditRows(vaultUrl: string, rows: number, secrets: number, strangers: number): Cell[][] {
  const start = Date.now() - 5 * 60_000;
  return Array.from({ length: rows }, (_, i) => {
    const stranger = i % Math.floor(rows / strangers) === 0;
    const self = !stranger && i % 20 === 1;
    const secret = stranger ? `audit-${Math.floor(i / 20) % 5}` : `audit-${i % secrets}`;
    const oid = stranger ? STRANGER_OID : self ? SELF_OID : READER_OID;
    return [
      new Date(start + i * 25).toISOString(),
      'SecretGet',
      `${vaultUrl}/secrets/${secret}/0123456789abcdef0123456789abcdef`,
      `${vaultUrl}/secrets/${secret}/?api-version=7.5`,
      self ? rotatorRequestId() : `req-${i}`,
      { claim: { oid, appid: '0e0e0e0e-0000-4000-8000-0000000000aa' } },
      '10.0.0.4',
      'azsdk-js-keyvault-secrets/4.12.0',
    ];
  });
}

/**
 * A Log Analytics query endpoint over a fixed table, answering each query's time range and `take`
 * as the service would. Answers are serialised once and cached, so the bench measures the daemon.
 */
async function startLogsEndpoint(
  rows: Cell[][],
): Promise<{ url: string; caPem: string; close(): Promise<void> }> {
  const certs = selfSignedLoopback();
  const columns = AUDIT_QUERY_COLUMNS.map((name) => ({
    name,
    type: name === 'TimeGenerated' ? 'datetime' : name === 'Identity' ? 'dynamic' : 'string',
  }));
  const cache = new Map<string, string>();
  const server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { query } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string };
      const from = /TimeGenerated >= datetime\(([^)]+)\)/.exec(query)?.[1] ?? '';
      const take = Number(/\| take (\d+)$/.exec(query)?.[1] ?? rows.length);
      const key = `${from}|${take}`;
      let body = cache.get(key);
      if (body === undefined) {
        const page = rows.filter((r) => (r[0] as string) >= from).slice(0, take);
        body = JSON.stringify({ tables: [{ name: 'PrimaryResult', columns, rows: page }] });
        cache.set(key, body);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: certs.certPem,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Three watchers on one Redis polling a counting source: the queries the workspace sees per poll. */
async function queriesPerPoll(redisDb: number, replicas: number, runMs: number): Promise<number> {
  const rig = await startRig({ redisDb });
  let queries = 0;
  const source: AuditLogSource = {
    fetch: () => {
      queries += 1;
      return Promise.resolve([]);
    },
  };
  const state = new RedisWatchState(rig.redis, rig.prefix, 600);
  const pollMs = 250;
  const watchers = Array.from({ length: replicas }, () =>
    startAuditWatcher({
      scan: () =>
        scanAuditLog({
          source,
          state,
          stores: [rig.store],
          record: () => Promise.resolve(undefined),
          clock: systemClock,
          self: { objectIds: [], appIds: [] },
          isRotatorRequestId,
          requestIdPrefix: ROTATOR_REQUEST_ID_PREFIX,
          logger: pino({ level: 'silent' }),
          ...DEFAULT_TUNING,
        }),
      lease: new RedisPollLease(rig.redis, rig.prefix),
      pollMs,
      maxBackoffMs: 10_000,
      logger: pino({ level: 'silent' }),
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, runMs));
  await Promise.all(watchers.map((w) => w.stop()));
  await rig.close();
  return round(queries / (runMs / pollMs), 2);
}

export async function auditScanCost(opts: {
  redisDb: number;
  rows: number;
  /** How long three watchers poll to count the workspace's queries. */
  pollRunMs?: number;
}): Promise<AuditScanCost> {
  const secrets = 100;
  const strangers = 500;
  const rig = await startRig({ redisDb: opts.redisDb });
  const rows = auditRows(rig.store.vaultUrl, opts.rows, secrets, strangers);
  const endpoint = await startLogsEndpoint(rows);
  try {
    await inBatches(
      Array.from({ length: secrets }, (_, i) => `audit-${i}`),
      32,
      (name) =>
        rig.store.set(name, 'v', { tags: { 'rotation-target': 'keyvault', 'rotation-readers': READER_OID } }),
    );
    const source = new LogAnalyticsAuditSource({
      workspaceId: '0e0e0e0e-0000-4000-8000-0000000000ff',
      endpoint: endpoint.url,
      credential: staticTokenCredential('bench'),
      caPem: endpoint.caPem,
    });
    const scanOnce = (statePrefix: string): Promise<ScanSummary> =>
      scanAuditLog({
        source,
        state: new RedisWatchState(rig.redis, statePrefix, 600),
        stores: [rig.store],
        record: (store, usage) =>
          recordUsage(
            {
              scheduler: rig.scheduler,
              tagLock: new RedisRotationLock(rig.redis, {
                prefix: `${rig.prefix}:checkout`,
                leaseMs: 10_000,
              }),
              grace: Duration.fromObject({ hours: 1 }),
              sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
            },
            store,
            usage,
          ),
        clock: systemClock,
        self: { objectIds: [SELF_OID], appIds: [] },
        isRotatorRequestId,
        requestIdPrefix: ROTATOR_REQUEST_ID_PREFIX,
        logger: pino({ level: 'silent' }),
        ...DEFAULT_TUNING,
      });
    // A first scan warms the JIT, the connections and the endpoint's cache; the second is measured.
    await scanOnce(`${rig.prefix}:warm`);
    await rig.admin.resetCounters();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const summary = await scanOnce(rig.prefix);
    const scanMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const heapAfter = process.memoryUsage().heapUsed;
    const claims = await memoryUnder(rig.redis, `${rig.prefix}:rotator:audit`);
    const counters = await rig.admin.counters();
    await deleteKeysUnder(rig.redis, `${rig.prefix}:warm`);
    const replicas = 3;
    const perPoll = await queriesPerPoll(opts.redisDb, replicas, opts.pollRunMs ?? 5_000);
    return {
      rows: summary.rows,
      pages: summary.pages,
      secrets,
      unbrokeredReads: summary.uses,
      secretsForced: summary.secretsUsed,
      scanMs: round(scanMs, 0),
      cpuMs: round((cpu.user + cpu.system) / 1000, 0),
      heapMb: round(Math.max(0, heapAfter - heapBefore) / (1024 * 1024), 1),
      keyVaultRequests: requestCount(counters),
      redisClaimKeys: claims.keys,
      redisClaimBytes: claims.bytes,
      queriesPerPoll: perPoll,
      queriesPerMinuteAtDefaultPoll: round(perPoll * Math.max(1, summary.pages), 2),
      replicas,
    };
  } finally {
    await endpoint.close();
    await rig.close();
  }
}

if (require.main === module) {
  // `npm run build:tools && node build/tools/bench/audit-scan.js`: this part alone, on the bench's Redis database 13.
  auditScanCost({ redisDb: 13, rows: 10_000 }).then(
    (cost) => {
      process.stdout.write(`${JSON.stringify(cost)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `audit bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
