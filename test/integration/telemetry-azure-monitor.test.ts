import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertFigures } from '../support/alert-evaluation';
import { runTelemetryChild, type Envelope } from '../support/telemetry-namespace';

interface ChildOutput {
  envelopes: Envelope[];
  values: string[];
  redis: string;
  logs: string;
}

describe('telemetry through the real Azure Monitor exporter to a local ingestion endpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotator-telemetry-'));
  let result: ChildOutput;
  let childOutput = '';

  beforeAll(async () => {
    ({ result, output: childOutput } = await runTelemetryChild<ChildOutput>('telemetry-child.js', dir, 6399));
  }, 90_000);

  afterAll(() => {
    if (process.env.KEEP_TELEMETRY) return;
    rmSync(dir, { recursive: true, force: true });
  });

  const ofType = (baseType: string): Envelope[] =>
    result.envelopes.filter((e) => e.data?.baseType === baseType);
  const props = (e: Envelope | undefined): Record<string, string> => e?.data?.baseData?.properties ?? {};
  // A rotator span, as opposed to the emulator's own HTTP server spans in the same test process.
  const named = (name: string): Envelope[] =>
    ofType('RequestData').filter((e) => e.data?.baseData?.name === name);

  it('lands each rotation as a request named rotation with the contract’s customDimensions', () => {
    const rotations = named('rotation');
    const bySecret = new Map(rotations.map((r) => [props(r)['rotator.secret'], props(r)]));
    expect(bySecret.get('svc-overdue')).toMatchObject({
      'rotator.vault': expect.stringMatching(/^https:\/\/127\.0\.0\.1:/) as unknown,
      'rotator.target': 'keyvault',
      'rotator.reason': 'scheduled',
      'rotator.outcome': 'rotated',
    });
    expect(bySecret.get('svc-checked-out')).toMatchObject({
      'rotator.reason': 'usage',
      'rotator.outcome': 'rotated',
    });
    expect(bySecret.get('svc-overdue')?.['rotator.rotation_id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lands the steps of a rotation as dependencies in the rotation’s trace', () => {
    const rotation = named('rotation').find((e) => props(e)['rotator.secret'] === 'svc-overdue');
    const traceId = rotation?.tags?.['ai.operation.id'];
    const steps = ofType('RemoteDependencyData')
      .filter((e) => e.tags?.['ai.operation.id'] === traceId)
      .map((e) => e.data?.baseData?.name);
    expect(steps).toEqual(
      expect.arrayContaining(['rotation.lock', 'rotation.apply', 'rotation.verify', 'rotation.commit']),
    );
  });

  it('links the checkout to the rotation it forced', () => {
    const checkout = ofType('RequestData').find(
      (e) =>
        e.data?.baseData?.name === 'usage.checkout' &&
        props(e)['rotator.checkout_id'] === 'checkout-telemetry-1',
    );
    expect(props(checkout)).toMatchObject({ 'rotator.secret': 'svc-checked-out', 'rotator.actor': 'alice' });
    const forced = named('rotation').find((e) => props(e)['rotator.secret'] === 'svc-checked-out');
    expect(props(forced)['rotator.checkout_id']).toBe('checkout-telemetry-1');
    const links = props(forced)['_MS.links'] ?? '';
    expect(links).toContain(checkout?.data?.baseData?.id ?? 'missing');
  });

  it('records a rejected usage event with its reason', () => {
    const rejected = named('usage.checkout').find((e) => props(e)['rotator.outcome'] === 'rejected');
    expect(props(rejected)['rotator.error_code']).toBe('USAGE_INVALID');
  });

  it('lands each sweep as a schedule.sweep request', () => {
    expect(named('schedule.sweep').length).toBeGreaterThan(0);
    expect(props(named('schedule.sweep')[0])['rotator.sweep.managed']).toBe('4');
  });

  it('exports the contract’s metrics', () => {
    const names = new Set(
      ofType('MetricData').flatMap((e) => (e.data?.baseData?.metrics ?? []).map((m) => m.name)),
    );
    expect([...names]).toEqual(
      expect.arrayContaining([
        'rotator.rotations',
        'rotator.rotation.duration',
        'rotator.secret.age',
        'rotator.secrets.overdue',
      ]),
    );
  });

  it('writes audit records for every checkout and rotation as RotatorAudit custom events', () => {
    const audits = ofType('EventData')
      .filter((e) => e.data?.baseData?.name === 'RotatorAudit')
      .map(props);
    expect(audits).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'checkout',
          secret: 'svc-checked-out',
          actor: 'alice',
          outcome: 'recorded',
        }),
        expect.objectContaining({
          action: 'rotation',
          secret: 'svc-overdue',
          reason: 'scheduled',
          outcome: 'rotated',
        }),
        expect.objectContaining({
          action: 'rotation',
          secret: 'svc-checked-out',
          reason: 'usage',
          checkout_id: 'checkout-telemetry-1',
        }),
      ]),
    );
    for (const audit of audits) expect(audit.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  const outcomesOf = (secret: string): string[] =>
    named('rotation')
      .filter((r) => props(r)['rotator.secret'] === secret)
      .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''))
      .map((r) => props(r)['rotator.outcome'] ?? '');

  it('names a transient failure retrying and exhausted attempts quarantined, alike on spans, counter and audit', () => {
    expect(outcomesOf('svc-flaky')).toEqual(['retrying', 'rotated']);
    expect(outcomesOf('svc-broken')).toEqual(['retrying', 'quarantined']);
    const counted = ofType('MetricData')
      .flatMap((e) => (e.data?.baseData?.metrics ?? []).map((m) => ({ ...m, dims: props(e) })))
      .filter((m) => m.name === 'rotator.rotations');
    for (const outcome of ['retrying', 'quarantined', 'rotated'])
      expect(counted.some((m) => m.dims['rotator.outcome'] === outcome)).toBe(true);
    expect(counted.some((m) => m.dims['rotator.outcome'] === 'failed')).toBe(false);
    const audits = ofType('EventData')
      .filter((e) => e.data?.baseData?.name === 'RotatorAudit')
      .map(props)
      .filter((a) => a.secret === 'svc-broken');
    expect(audits.map((a) => [a.outcome, a.attempt, a.error_code])).toEqual(
      expect.arrayContaining([
        ['retrying', '1', 'TARGET_UNREACHABLE'],
        ['quarantined', '2', 'TARGET_UNREACHABLE'],
      ]),
    );
  });

  it('lands the span event rotation.failed in traces (MessageData), in the rotation’s operation, with step, code and outcome', () => {
    const failed = ofType('MessageData').filter((e) => e.data?.baseData?.message === 'rotation.failed');
    expect(failed.length).toBe(3);
    const broken = named('rotation').filter((r) => props(r)['rotator.secret'] === 'svc-broken');
    const operations = new Set(broken.map((r) => r.tags?.['ai.operation.id']));
    const events = failed.filter((e) => operations.has(e.tags?.['ai.operation.id']));
    expect(events.map((e) => props(e)['rotator.outcome']).sort()).toEqual(['quarantined', 'retrying']);
    // Not in exceptions: no exception telemetry belongs to a rotation's operation.
    const exceptions = ofType('ExceptionData').filter((e) => operations.has(e.tags?.['ai.operation.id']));
    expect(exceptions).toEqual([]);
    for (const e of events) {
      expect(props(e)).toMatchObject({
        'rotator.error_code': 'TARGET_UNREACHABLE',
        // The last step the rotation completed before it failed: it held the lock, the target was down.
        'rotator.step': 'locked',
      });
      expect(props(e)['message']).toContain('the target did not answer');
    }
  });

  it('exports the fleet gauges from the shared snapshot and a heartbeat', () => {
    const latest = (name: string): Envelope | undefined =>
      ofType('MetricData')
        .filter((e) => e.data?.baseData?.metrics?.[0]?.name === name)
        .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''))
        .at(-1);
    expect(latest('rotator.secrets.quarantined')?.data?.baseData?.metrics?.[0]?.value).toBe(1);
    // svc-broken is still past its interval: quarantined, not rotated.
    expect(latest('rotator.secrets.overdue')?.data?.baseData?.metrics?.[0]?.value).toBe(1);
    expect(latest('rotator.sweep.age')?.data?.baseData?.metrics?.[0]?.value).toBeLessThan(30);
    expect(props(latest('rotator.heartbeat'))['rotator.replica']).toEqual(expect.any(String));
  });

  it('fires the paging alert for the quarantined secret and no alert for the transient retry', () => {
    const figures = alertFigures(result.envelopes, { retryingAlertMinutes: 60 });
    if (process.env.TELEMETRY_FIGURES !== undefined)
      writeFileSync(process.env.TELEMETRY_FIGURES, JSON.stringify(figures, null, 2));
    expect(figures.paging).toEqual({ 'svc-broken': 1 });
    expect(figures.stuckRetrying).toEqual({});
    expect(figures.retryingSpans).toMatchObject({ 'svc-flaky': 1, 'svc-broken': 1 });
    // The same query with no grace: only a secret still retrying would fire, and none is.
    expect(alertFigures(result.envelopes, { retryingAlertMinutes: 0 }).stuckRetrying).toEqual({});
  });

  it('never lets a secret value into telemetry, logs, Redis or the child’s output', () => {
    // The used version of svc-checked-out is retired (disabled, unreadable); the live ones are checked.
    expect(result.values.length).toBeGreaterThanOrEqual(5);
    const payload = JSON.stringify(result.envelopes);
    for (const value of result.values) {
      expect(payload.includes(value)).toBe(false);
      expect(result.logs.includes(value)).toBe(false);
      expect(result.redis.includes(value)).toBe(false);
      expect(childOutput.includes(value)).toBe(false);
    }
  });
});
