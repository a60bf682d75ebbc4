import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ATTR, createRotatorMetrics, emitAudit, METRIC, type AuditRecord } from '../../src/telemetry';
import { RootSpanSummary } from '../../src/telemetry/root-span-summary';
import { installMemoryTelemetry, isolatedMeter, points, type MemoryTelemetry } from '../support/otel-memory';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

describe('metrics and audit records', () => {
  let otel: MemoryTelemetry;
  beforeAll(() => {
    otel = installMemoryTelemetry();
  });
  afterAll(() => otel.shutdown());
  beforeEach(() => otel.reset());

  it('reports the age of every secret and the overdue count from the last sweep only', async () => {
    const metrics = createRotatorMetrics();
    metrics.observeSecrets(
      [
        { secret: 'a', vault: 'https://kv.test', ageSeconds: 100 },
        { secret: 'b', vault: 'https://kv.test', ageSeconds: 2_000_000 },
      ],
      1,
    );
    metrics.observeSecrets([{ secret: 'b', vault: 'https://kv.test', ageSeconds: 5 }], 0);
    const collected = await otel.collectMetrics();
    expect(points(collected, METRIC.secretAge)).toEqual([
      { value: 5, attributes: { [ATTR.secret]: 'b', [ATTR.vault]: 'https://kv.test' } },
    ]);
    expect(points(collected, METRIC.secretsOverdue)).toEqual([{ value: 0, attributes: {} }]);
  });

  it('reports no overdue count before the first sweep rather than a misleading zero', async () => {
    const { meter, collect } = isolatedMeter();
    createRotatorMetrics(meter);
    expect(points(await collect(), METRIC.secretsOverdue)).toEqual([]);
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
