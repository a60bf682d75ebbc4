import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { RotatorError } from '../../src/errors';
import type { RotationResult, RotationStep } from '../../src/rotation';
import {
  ATTR,
  createRotatorMetrics,
  currentTraceparent,
  linkFromTraceparent,
  METRIC,
  SPAN,
  tracedRotation,
  tracedSweep,
  tracedUsageEvent,
} from '../../src/telemetry';
import { recordDecision } from '../../src/telemetry/tracing';
import { ROTATION_OUTCOMES } from '../../src/telemetry/names';
import { installMemoryTelemetry, isolatedMeter, points, type MemoryTelemetry } from '../support/otel-memory';

const STEPS: RotationStep[] = ['locked', 'prepared', 'applied', 'verified', 'committed', 'retired', 'closed'];
const info = { secret: 'svc-db', vault: 'https://kv.test', reason: 'manual', actor: 'alice', jobId: 'j1' };
const rotated: RotationResult = {
  outcome: 'rotated',
  rotationId: 'rot-1',
  version: 'v2',
  recovery: undefined,
  target: 'postgres',
};

describe('telemetry of rotations, checkouts and sweeps', () => {
  let otel: MemoryTelemetry;
  const audit: Array<Record<string, string>> = [];
  const deps = { metrics: createRotatorMetrics(), log: (r: Record<string, string>) => audit.push(r) };

  beforeAll(() => {
    otel = installMemoryTelemetry();
    deps.metrics = createRotatorMetrics();
  });
  afterAll(() => otel.shutdown());
  beforeEach(() => {
    otel.reset();
    audit.length = 0;
  });

  it('makes one trace per rotation: a consumer root span named rotation and one child span per step', async () => {
    await tracedRotation(
      (onStep) => {
        for (const step of STEPS) void onStep(step, 'rot-1');
        return Promise.resolve(rotated);
      },
      info,
      deps,
    );
    const spans = otel.spans();
    const root = spans.find((s) => s.name === SPAN.rotation);
    expect(root?.kind).toBe(SpanKind.CONSUMER);
    expect(root?.attributes).toMatchObject({
      [ATTR.secret]: 'svc-db',
      [ATTR.vault]: 'https://kv.test',
      [ATTR.reason]: 'manual',
      [ATTR.target]: 'postgres',
      [ATTR.outcome]: 'rotated',
      [ATTR.rotationId]: 'rot-1',
      'ai.operation.name': SPAN.rotation,
    });
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root?.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(STEPS.map((s) => `rotation.${phase(s)}`));
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('writes one audit record per rotation carrying the rotation id and the trace id, never a value', async () => {
    await tracedRotation(() => Promise.resolve(rotated), info, deps);
    const traceId = otel
      .spans()
      .find((s) => s.name === SPAN.rotation)
      ?.spanContext().traceId;
    const records = otel.logRecords();
    expect(records).toHaveLength(1);
    expect(records[0]?.attributes).toMatchObject({
      'microsoft.custom_event.name': 'RotatorAudit',
      action: 'rotation',
      secret: 'svc-db',
      actor: 'alice',
      reason: 'manual',
      outcome: 'rotated',
      rotation_id: 'rot-1',
      trace_id: traceId,
    });
    expect(audit).toEqual([records[0]?.attributes]);
  });

  it('links a forced rotation to the checkout span whose traceparent its job carries', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await tracedRotation(() => Promise.resolve(rotated), { ...info, reason: 'usage', traceparent }, deps);
    const root = otel.spans().find((s) => s.name === SPAN.rotation);
    expect(root?.links).toEqual([
      {
        context: expect.objectContaining({
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
        }) as unknown,
        attributes: { 'rotator.link': 'checkout' },
      },
    ]);
  });

  it('ignores a malformed traceparent instead of failing the rotation', () => {
    expect(linkFromTraceparent('00-zz-1')).toBeUndefined();
    expect(linkFromTraceparent(undefined)).toBeUndefined();
  });

  it('marks a failed rotation with its error code and step, counts it and audits it', async () => {
    const failure = new RotatorError('TARGET_REJECTED', 'role svc_db was refused', {
      hint: 'check it',
      permanent: true,
    });
    await expect(
      tracedRotation(
        (onStep) => {
          void onStep('locked', undefined);
          void onStep('prepared', 'rot-2');
          return Promise.reject(failure);
        },
        info,
        deps,
      ),
    ).rejects.toBe(failure);
    const root = otel.spans().find((s) => s.name === SPAN.rotation);
    expect(root?.status.code).toBe(SpanStatusCode.ERROR);
    expect(root?.attributes[ATTR.errorCode]).toBe('TARGET_REJECTED');
    expect(root?.events.find((e) => e.name === 'rotation.failed')?.attributes).toMatchObject({
      [ATTR.errorCode]: 'TARGET_REJECTED',
      [ATTR.step]: 'prepared',
    });
    expect(otel.logRecords()[0]?.attributes).toMatchObject({
      outcome: 'failed',
      error_code: 'TARGET_REJECTED',
    });
    const counted = points(await otel.collectMetrics(), METRIC.rotations);
    expect(counted).toContainEqual({
      value: 1,
      attributes: { [ATTR.reason]: 'manual', [ATTR.outcome]: 'failed' },
    });
  });

  it('records a rotation postponed by another holder of the lock as postponed, not failed', async () => {
    const locked = new RotatorError('ROTATION_LOCKED', 'held elsewhere', { hint: 'wait' });
    await expect(tracedRotation(() => Promise.reject(locked), info, deps)).rejects.toBe(locked);
    const root = otel.spans().find((s) => s.name === SPAN.rotation);
    expect(root?.attributes[ATTR.outcome]).toBe('postponed');
    expect(root?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(root?.events.map((e) => e.name)).toEqual(['schedule.postponed-locked']);
    expect(otel.logRecords()).toHaveLength(0);
  });

  it('continues the producer’s trace in usage.checkout and hands its own traceparent to the job it queues', async () => {
    const producer = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    let handedOn: string | undefined;
    await tracedUsageEvent(
      { secret: 'svc-db', actor: 'bob', reason: 'INC-1', checkoutId: 'c-1', traceparent: producer },
      () => {
        handedOn = currentTraceparent();
        return Promise.resolve({
          secret: 'svc-db',
          vault: 'https://kv.test',
          countedFrom: '2026-11-23T10:00:00.000Z',
          forcedAt: '2026-11-23T10:30:00.000Z',
          satisfied: false,
          jobId: 'usage.svc-db',
        });
      },
      deps,
    );
    const span = otel.spans().find((s) => s.name === SPAN.checkout);
    expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes).toMatchObject({
      [ATTR.checkoutId]: 'c-1',
      [ATTR.actor]: 'bob',
      [ATTR.outcome]: 'scheduled',
    });
    expect(handedOn).toBe(`00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`);
    expect(otel.logRecords()[0]?.attributes).toMatchObject({
      action: 'checkout',
      actor: 'bob',
      reason: 'INC-1',
      checkout_id: 'c-1',
      outcome: 'recorded',
    });
  });

  it('audits a rejected usage event with the reason code', async () => {
    const rejected = new Error('USAGE_INVALID: at is in the future');
    await expect(
      tracedUsageEvent({ secret: 'svc-db', actor: 'eve' }, () => Promise.reject(rejected), deps),
    ).rejects.toBe(rejected);
    const span = otel.spans().find((s) => s.name === SPAN.checkout);
    expect(span?.attributes).toMatchObject({ [ATTR.outcome]: 'rejected', [ATTR.errorCode]: 'USAGE_INVALID' });
    expect(otel.logRecords()[0]?.attributes).toMatchObject({
      outcome: 'rejected',
      error_code: 'USAGE_INVALID',
    });
  });

  it('puts each schedule decision on the sweep span as an event and the summary as attributes', async () => {
    await tracedSweep(() => {
      recordDecision('due', { [ATTR.secret]: 'a' });
      recordDecision('skipped-rotated', { [ATTR.secret]: 'b' });
      return Promise.resolve({ scanned: 2, scheduled: 1 });
    });
    const sweep = otel.spans().find((s) => s.name === SPAN.sweep);
    expect(sweep?.events.map((e) => [e.name, e.attributes?.[ATTR.secret]])).toEqual([
      ['schedule.due', 'a'],
      ['schedule.skipped-rotated', 'b'],
    ]);
    expect(sweep?.attributes).toMatchObject({ 'rotator.sweep.scanned': 2, 'rotator.sweep.scheduled': 1 });
  });

  it('marks a rotation made unnecessary by an earlier one as skipped', async () => {
    await tracedRotation(() => Promise.resolve({ ...rotated, outcome: 'satisfied' }), info, deps);
    const root = otel.spans().find((s) => s.name === SPAN.rotation);
    expect(root?.attributes[ATTR.outcome]).toBe('satisfied');
    expect(root?.events.map((e) => e.name)).toEqual(['schedule.skipped-already-rotated']);
  });

  describe('one outcome word per failure, identical on the span, the counter and the audit record', () => {
    const transient = new RotatorError('TARGET_UNREACHABLE', 'server down', { hint: 'wait' });
    const permanent = new RotatorError('SECRET_MISCONFIGURED', 'no rotation-account', {
      hint: 'tag it',
      permanent: true,
    });
    const cases: Array<[string, RotatorError, { attempt: number; maxAttempts: number }, string]> = [
      [
        'a transient failure with attempts left is retrying',
        transient,
        { attempt: 1, maxAttempts: 3 },
        'retrying',
      ],
      [
        'a transient failure on the last attempt is quarantined',
        transient,
        { attempt: 3, maxAttempts: 3 },
        'quarantined',
      ],
      [
        'a permanent failure is failed on its first attempt',
        permanent,
        { attempt: 1, maxAttempts: 3 },
        'failed',
      ],
    ];
    it.each(cases)('%s', async (_title, error, attempt, expected) => {
      const { meter, collect } = isolatedMeter();
      const local = { metrics: createRotatorMetrics(meter), log: deps.log };
      await expect(tracedRotation(() => Promise.reject(error), { ...info, attempt }, local)).rejects.toBe(
        error,
      );
      const root = otel.spans().find((s) => s.name === SPAN.rotation);
      expect(root?.attributes[ATTR.outcome]).toBe(expected);
      expect(root?.attributes[ATTR.attempt]).toBe(attempt.attempt);
      expect(root?.events.find((e) => e.name === 'rotation.failed')?.attributes?.[ATTR.outcome]).toBe(
        expected,
      );
      expect(points(await collect(), METRIC.rotations)).toEqual([
        { value: 1, attributes: { [ATTR.reason]: 'manual', [ATTR.outcome]: expected } },
      ]);
      expect(otel.logRecords().map((r) => r.attributes.outcome)).toEqual([expected]);
      expect(audit.map((r) => r.outcome)).toEqual([expected]);
    });

    it('gives every audit record an audit_id of its own, so a resent batch is counted once', async () => {
      await tracedRotation(() => Promise.resolve(rotated), info, deps);
      await tracedRotation(() => Promise.resolve(rotated), info, deps);
      const ids = otel.logRecords().map((r) => r.attributes.audit_id);
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('uses only the contract’s outcome words for a rotation', () => {
      const words = new Set<string>(ROTATION_OUTCOMES);
      for (const [, , , expected] of cases) expect(words.has(expected)).toBe(true);
      expect([...words]).toEqual([
        'rotated',
        'satisfied',
        'recovered',
        'postponed',
        'retrying',
        'quarantined',
        'failed',
      ]);
    });
  });

  it('has no active traceparent outside a span', () => {
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(currentTraceparent()).toBeUndefined();
  });
});

function phase(step: RotationStep): string {
  const names: Record<RotationStep, string> = {
    locked: 'lock',
    'overlap-retired': 'retire-overlapping',
    prepared: 'prepare',
    applied: 'apply',
    verified: 'verify',
    committed: 'commit',
    retired: 'retire',
    proved: 'prove',
    closed: 'close',
  };
  return names[step];
}
