import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ATTR, createRotatorMetrics, emitAudit, METRIC, type AuditRecord } from '../../src/telemetry';
import { RootSpanSummary } from '../../src/telemetry/root-span-summary';
import { SweptFleet } from '../../src/scheduling/fleet-tally';
import type { FleetFigures } from '../../src/scheduling/fleet-snapshot';
import { installMemoryTelemetry, isolatedMeter, points, type MemoryTelemetry } from '../support/otel-memory';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

describe('metrics and audit records', () => {
  let otel: MemoryTelemetry;
  beforeAll(() => {
    otel = installMemoryTelemetry();
  });
  afterAll(() => otel.shutdown());
  beforeEach(() => otel.reset());

  /** The figures a sweep of these secrets leaves: packed as the sweep packs them, oldest kept. */
  const snapshot = (at: string, overdue: number, secrets: Array<[string, string]>): FleetFigures => {
    const packed = SweptFleet.of(
      secrets.map(([secret, lastRotated]) => ({ secret, vault: 'https://kv.test', lastRotated })),
    );
    return { at, overdue, quarantined: 2, unreachableVaults: 0, oldest: packed.oldest };
  };
  const NOW = Date.parse('2026-12-01T12:00:00Z');

  it('reports the fleet gauges from the shared snapshot, ages as of the export, and how old the sweep is', async () => {
    const { meter, collect } = isolatedMeter();
    const metrics = createRotatorMetrics(meter, { replica: 'pod-a', now: () => NOW });
    metrics.readFleetFrom(() =>
      Promise.resolve(
        snapshot('2026-12-01T11:55:00Z', 1, [
          ['a', '2026-12-01T11:00:00Z'],
          ['b', '2026-11-01T12:00:00Z'],
        ]),
      ),
    );
    const collected = await collect();
    // Oldest first.
    expect(points(collected, METRIC.secretAge)).toEqual([
      { value: 30 * 86400, attributes: { [ATTR.secret]: 'b', [ATTR.vault]: 'https://kv.test' } },
      { value: 3600, attributes: { [ATTR.secret]: 'a', [ATTR.vault]: 'https://kv.test' } },
    ]);
    expect(points(collected, METRIC.secretsOverdue)).toEqual([{ value: 1, attributes: {} }]);
    expect(points(collected, METRIC.secretsQuarantined)).toEqual([{ value: 2, attributes: {} }]);
    expect(points(collected, METRIC.oldestSecretAge)).toEqual([{ value: 30 * 86400, attributes: {} }]);
    expect(points(collected, METRIC.sweepAge)).toEqual([{ value: 300, attributes: {} }]);
    expect(points(collected, METRIC.heartbeat)).toEqual([
      { value: 1, attributes: { [ATTR.replica]: 'pod-a' } },
    ]);
  });

  it('gives a per-secret age series to the oldest secrets only, past its limit, while the oldest age and overdue count cover all', async () => {
    const { meter, collect } = isolatedMeter();
    const metrics = createRotatorMetrics(meter, { replica: 'pod-c', now: () => NOW, ageSeriesLimit: 2 });
    metrics.readFleetFrom(() =>
      Promise.resolve(
        snapshot('2026-12-01T11:55:00Z', 2, [
          ['fresh', '2026-12-01T11:00:00Z'],
          ['oldest', '2026-10-01T12:00:00Z'],
          ['recent', '2026-11-30T12:00:00Z'],
          ['old', '2026-11-01T12:00:00Z'],
        ]),
      ),
    );
    const collected = await collect();
    expect(
      points(collected, METRIC.secretAge)
        .map((p) => p.attributes[ATTR.secret])
        .sort(),
    ).toEqual(['old', 'oldest']);
    expect(points(collected, METRIC.oldestSecretAge)).toEqual([{ value: 61 * 86400, attributes: {} }]);
    expect(points(collected, METRIC.secretsOverdue)).toEqual([{ value: 2, attributes: {} }]);
  });

  it('finds exactly the oldest secrets among many, whatever order the snapshot holds them in', async () => {
    const { meter, collect } = isolatedMeter();
    const metrics = createRotatorMetrics(meter, { replica: 'pod-d', now: () => NOW, ageSeriesLimit: 7 });
    // 1,000 distinct ages in a shuffled order (a fixed permutation: i * 389 mod 1000).
    const fleet = Array.from({ length: 1000 }, (_, i): [string, string] => {
      const minutes = (i * 389) % 1000;
      return [`s-${minutes}`, new Date(NOW - minutes * 60_000).toISOString()];
    });
    metrics.readFleetFrom(() => Promise.resolve(snapshot('2026-12-01T11:55:00Z', 0, fleet)));
    const shown = points(await collect(), METRIC.secretAge).map((p) => p.attributes[ATTR.secret]);
    expect(shown).toEqual(['s-999', 's-998', 's-997', 's-996', 's-995', 's-994', 's-993']);
  });

  it('reports no fleet figure before the first sweep or when the snapshot cannot be read, but still a heartbeat', async () => {
    const { meter, collect } = isolatedMeter();
    const metrics = createRotatorMetrics(meter, { replica: 'pod-b' });
    expect(points(await collect(), METRIC.secretsOverdue)).toEqual([]);
    metrics.readFleetFrom(() => Promise.reject(new Error('Connection is closed.')));
    const collected = await collect();
    for (const name of [
      METRIC.secretsOverdue,
      METRIC.secretAge,
      METRIC.sweepAge,
      METRIC.secretsQuarantined,
    ]) {
      expect(points(collected, name)).toEqual([]);
    }
    expect(points(collected, METRIC.heartbeat)).toEqual([
      { value: 1, attributes: { [ATTR.replica]: 'pod-b' } },
    ]);
  });

  it('counts rotations by reason, outcome and target and records their duration in seconds', async () => {
    const metrics = createRotatorMetrics();
    metrics.rotationFinished({ reason: 'scheduled', outcome: 'rotated', target: 'keyvault' }, 0.5);
    metrics.rotationFinished({ reason: 'scheduled', outcome: 'rotated', target: 'keyvault' }, 1.5);
    const collected = await otel.collectMetrics();
    const dims = { [ATTR.reason]: 'scheduled', [ATTR.outcome]: 'rotated', [ATTR.target]: 'keyvault' };
    expect(points(collected, METRIC.rotations)).toContainEqual({ value: 2, attributes: dims });
    const histogram = points(collected, METRIC.rotationDuration).find(
      (p) => p.attributes[ATTR.target] === 'keyvault',
    );
    expect(histogram?.value).toMatchObject({ count: 2, sum: 2 });
  });

  it('never sends an audit field that could carry a credential, even if a caller adds one', () => {
    const record = {
      action: 'checkout',
      secret: 'svc-db',
      vault: 'https://kv.test',
      actor: 'alice',
      reason: 'INC-7',
      outcome: 'recorded',
      value: 'hunter2',
      password: 'hunter2',
    } as AuditRecord;
    const sent = emitAudit(record);
    expect(JSON.stringify(sent)).not.toContain('hunter2');
    expect(JSON.stringify(otel.logRecords().map((r) => [r.body, r.attributes]))).not.toContain('hunter2');
    expect(sent).toMatchObject({ secret: 'svc-db', actor: 'alice', reason: 'INC-7' });
  });

  it('carries every audit field the workbook queries under the name the workbook uses', () => {
    const sent = emitAudit({
      action: 'rotation',
      secret: 's',
      vault: 'v',
      actor: 'a',
      reason: 'r',
      outcome: 'o',
      rotationId: 'r1',
      checkoutId: 'c1',
      errorCode: 'E',
      jobId: 'j1',
      retirement: 'unproven',
      retirementCheck: 'sign-in',
      retirementReason: 'still signs in',
      overlapUntil: '2026-12-02T00:00:00Z',
    });
    const workbook = readFileSync(
      join(__dirname, '..', '..', 'bicep', 'modules', 'rotator-workbook.json'),
      'utf8',
    );
    const auditQueries = (JSON.parse(workbook) as unknown as { items: unknown[] }).items
      .map((item) => JSON.stringify(item))
      .filter((text) => text.includes('RotatorAudit'));
    const queried = new Set(
      auditQueries.flatMap((q) => [...q.matchAll(/customDimensions\[\\?'([a-z_]+)\\?'\]/g)].map((m) => m[1])),
    );
    expect(queried.size).toBeGreaterThan(3);
    for (const key of queried) expect(Object.keys(sent)).toContain(key);
  });

  it('prints one quiet console line per finished root span and none for its children', () => {
    const out = new PassThrough();
    const provider = new BasicTracerProvider({ spanProcessors: [new RootSpanSummary(out)] });
    const tracer = provider.getTracer('test');
    tracer.startActiveSpan('rotation', { attributes: { 'rotator.secret': 'a', other: 'x' } }, (root) => {
      tracer.startSpan('rotation.lock').end();
      root.end();
    });
    const lines = String(out.read() ?? '')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ span: 'rotation', 'rotator.secret': 'a' });
    expect(line).not.toHaveProperty('other');
  });
});
