import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificates } from '../../src/emulator/certificates';

interface Envelope {
  data?: { baseData?: { name?: string; properties?: Record<string, string> } };
}

interface OutageResult {
  ids: string[];
  envelopes: Envelope[];
  storedDuringOutage: number;
  storedAfter: number;
  deliveredAfterMs: number;
}

const CHILD = join(__dirname, '..', 'support', 'telemetry-outage-child.js');

/** The child in a network namespace of its own, as in telemetry-azure-monitor.test.ts. */
function runChild(dir: string, caFile: string): Promise<{ code: number | null; output: string }> {
  const script = [
    'ip link set lo up',
    'redis-server --port 6398 --save "" --appendonly no --daemonize yes --logfile /dev/null',
    `node ${JSON.stringify(CHILD)}`,
    'code=$?',
    'redis-cli -p 6398 shutdown nosave >/dev/null 2>&1',
    'exit $code',
  ].join('; ');
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-rn', 'sh', '-c', script], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: caFile,
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
        // All audit records of the burst in one batch, so one stored file holds them (the exporter
        // resends one stored file per signal a minute).
        OTEL_BLRP_SCHEDULE_DELAY: '5000',
        REDIS_URL: 'redis://127.0.0.1:6398',
        INGEST_CERT: join(dir, 'cert.pem'),
        INGEST_KEY: join(dir, 'key.pem'),
        STORAGE_DIR: join(dir, 'telemetry'),
        OUT: join(dir, 'out.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('audit records survive an Azure Monitor ingestion outage (real exporter, offline storage)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotator-outage-'));
  let result: OutageResult;

  beforeAll(async () => {
    const certs = await createCertificates(dir);
    writeFileSync(join(dir, 'cert.pem'), certs.certPem);
    writeFileSync(join(dir, 'key.pem'), certs.keyPem);
    mkdirSync(join(dir, 'telemetry'));
    const run = await runChild(dir, certs.caFile);
    if (run.code !== 0) throw new Error(`outage child failed (${run.code}):\n${run.output}`);
    result = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as OutageResult;
    if (process.env.TELEMETRY_FIGURES !== undefined)
      writeFileSync(
        process.env.TELEMETRY_FIGURES,
        JSON.stringify({ ...result, envelopes: result.envelopes.length }, null, 2),
      );
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const audits = (): Array<Record<string, string>> =>
    result.envelopes
      .filter((e) => e.data?.baseData?.name === 'RotatorAudit')
      .map((e) => e.data?.baseData?.properties ?? {});

  it('keeps every audit record ingestion could not take on the storage volume while it is down', () => {
    // The child waits until each audit_id is in a stored file before it brings ingestion back.
    expect(result.ids).toHaveLength(5);
    expect(result.storedDuringOutage).toBeGreaterThan(0);
  });

  it('delivers every audit record once ingestion is back', () => {
    const delivered = new Set(audits().map((a) => a.audit_id));
    expect(result.ids.filter((id) => !delivered.has(id))).toEqual([]);
    expect(
      audits()
        .map((a) => a.action)
        .sort(),
    ).toEqual(expect.arrayContaining(['checkout', 'rotation', 'rotation', 'rotation', 'rotation']));
  });

  it('shows each record once in the audit view, which counts each audit_id once', () => {
    const view = new Map(audits().map((a) => [a.audit_id, a]));
    expect(view.size).toBe(result.ids.length);
    expect([...view.keys()].sort()).toEqual([...result.ids].sort());
  });
});
