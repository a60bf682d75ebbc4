import { accessTelemetry } from '../../src/telemetry/access';
import { ATTR, METRIC, SPAN } from '../../src/telemetry/names';
import { installMemoryTelemetry, isolatedMeter, points, type MemoryTelemetry } from '../support/otel-memory';

describe('access telemetry', () => {
  let otel: MemoryTelemetry;
  beforeAll(() => {
    otel = installMemoryTelemetry();
  });
  afterAll(() => otel.shutdown());
  beforeEach(() => otel.reset());

  it('gives each operation its span, a verified audit record with the people and the ticket, and a count', async () => {
    const { meter, collect } = isolatedMeter();
    const logged: Array<Record<string, string>> = [];
    const observer = accessTelemetry((record) => logged.push(record), meter);
    await observer.within('checkout', () => {
      observer.record({
        operation: 'checkout',
        outcome: 'checked-out',
        secret: 'svc-a',
        vault: 'https://kv.test',
        actor: { id: 'oid-bob', name: 'bob@contoso.example' },
        reason: 'INC-1 fix',
        ticket: 'INC-1',
        requestId: 'req-1',
        approver: { id: 'oid-carol', name: 'carol@contoso.example' },
        checkoutId: 'c-1',
      });
      return Promise.resolve();
    });
    const [span] = otel.spans();
    expect(span?.name).toBe(SPAN.accessCheckout);
    expect(span?.attributes).toMatchObject({
      [ATTR.actorId]: 'oid-bob',
      [ATTR.verified]: true,
      [ATTR.approverId]: 'oid-carol',
      [ATTR.requestId]: 'req-1',
      [ATTR.ticket]: 'INC-1',
      [ATTR.outcome]: 'checked-out',
    });
    expect(logged[0]).toMatchObject({
      action: 'checkout',
      actor: 'bob@contoso.example',
      actor_id: 'oid-bob',
      verified: 'true',
      ticket: 'INC-1',
      request_id: 'req-1',
      approver: 'carol@contoso.example',
      approver_id: 'oid-carol',
      trace_id: span?.spanContext().traceId,
    });
    expect(points(await collect(), METRIC.accessRequests)).toEqual([
      { value: 1, attributes: { 'rotator.operation': 'checkout', [ATTR.outcome]: 'checked-out' } },
    ]);
  });

  it('names the other spans and counts a failure when an operation throws', async () => {
    const { meter, collect } = isolatedMeter();
    const observer = accessTelemetry(undefined, meter);
    await observer.within('request', () => Promise.resolve());
    await expect(
      observer.within('decision', () => Promise.reject(new Error('redis down'))),
    ).rejects.toThrow();
    expect(otel.spans().map((s) => s.name)).toEqual([SPAN.accessRequest, SPAN.accessDecision]);
    expect(points(await collect(), METRIC.accessRequests)).toEqual([
      { value: 1, attributes: { 'rotator.operation': 'decision', [ATTR.outcome]: 'failed' } },
    ]);
  });
});
