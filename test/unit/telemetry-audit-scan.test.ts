import { auditScanTelemetry, UNBROKERED_OUTCOME } from '../../src/telemetry/audit-scan';
import { ATTR, METRIC, SPAN } from '../../src/telemetry/names';
import { RotatorError } from '../../src/errors';
import type { ScanSummary } from '../../src/audit-watch';
import { installMemoryTelemetry, isolatedMeter, points, type MemoryTelemetry } from '../support/otel-memory';

const summary: ScanSummary = {
  from: '2026-12-01T11:49:00.000Z',
  to: '2026-12-01T12:05:00.000Z',
  pages: 1,
  rows: 40,
  uses: 3,
  routine: 37,
  ignored: 0,
  secretsUsed: 1,
  failed: 0,
};

describe('telemetry of the reads backstop', () => {
  let otel: MemoryTelemetry;
  beforeAll(() => {
    otel = installMemoryTelemetry();
  });
  afterAll(async () => {
    await otel.shutdown();
  });
  beforeEach(() => otel.reset());

  it('makes each scan an audit.scan span with its counts, and each use an audit record and a counted read', async () => {
    const { meter, collect } = isolatedMeter();
    const logged: Array<Record<string, string>> = [];
    const telemetry = auditScanTelemetry((r) => logged.push(r), meter);
    await telemetry.instrument(() => {
      telemetry.onUse({
        vault: 'https://kv.vault.azure.net',
        secret: 'svc-billing',
        actor: 'eve@contoso.com (oid 33333333-3333-4333-8333-333333333333)',
        actorId: '33333333-3333-4333-8333-333333333333',
        reads: 3,
        firstReadAt: '2026-12-01T11:58:00.000Z',
        forcedAt: '2026-12-01T12:28:00.000Z',
        satisfied: false,
      });
      return Promise.resolve(summary);
    });
    const [span] = otel.spans();
    expect(span?.name).toBe(SPAN.auditScan);
    expect(span?.attributes).toMatchObject({
      'rotator.audit.uses': 3,
      'rotator.audit.rows': 40,
      [ATTR.outcome]: 'done',
    });
    expect(span?.events.map((e) => e.name)).toEqual(['audit.unbrokered']);
    expect(logged).toEqual([
      expect.objectContaining({
        action: 'read',
        outcome: UNBROKERED_OUTCOME,
        verified: 'true',
        actor_id: '33333333-3333-4333-8333-333333333333',
        reason: 'read outside the rotator',
        reads: '3',
        forced_at: '2026-12-01T12:28:00.000Z',
        secret: 'svc-billing',
      }),
    ]);
    expect(otel.logRecords()).toHaveLength(1);
    const counted = points(await collect(), METRIC.readsUnbrokered);
    expect(counted).toEqual([
      expect.objectContaining({ value: 3, attributes: { [ATTR.vault]: 'https://kv.vault.azure.net' } }),
    ]);
  });

  it('marks a failed scan as an error span with its code and outcome retrying', async () => {
    const { meter } = isolatedMeter();
    const telemetry = auditScanTelemetry(undefined, meter);
    await expect(
      telemetry.instrument(() =>
        Promise.reject(new RotatorError('AUDIT_THROTTLED', 'throttled', { hint: 'wait' })),
      ),
    ).rejects.toMatchObject({ code: 'AUDIT_THROTTLED' });
    const [span] = otel.spans();
    expect(span?.attributes).toMatchObject({
      [ATTR.errorCode]: 'AUDIT_THROTTLED',
      [ATTR.outcome]: 'retrying',
    });
    expect(span?.status.code).toBe(2);
  });
});
