import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTelemetryChild, type Envelope } from '../support/telemetry-namespace';

interface OutageResult {
  ids: string[];
  envelopes: Envelope[];
  storedDuringOutage: number;
  storedAfter: number;
  deliveredAfterMs: number;
}

describe('audit records survive an Azure Monitor ingestion outage (real exporter, offline storage)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotator-outage-'));
  let result: OutageResult;

  beforeAll(async () => {
    mkdirSync(join(dir, 'telemetry'));
    ({ result } = await runTelemetryChild<OutageResult>('telemetry-outage-child.js', dir, 6398, {
      // All audit records of the burst in one batch, so one stored file holds them (the exporter
      // resends one stored file per signal a minute).
      OTEL_BLRP_SCHEDULE_DELAY: '5000',
      STORAGE_DIR: join(dir, 'telemetry'),
    }));
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
