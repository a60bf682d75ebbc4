import { trace } from '@opentelemetry/api';
import { untracedIteration } from '../../src/vault/untraced-iteration';
import { installMemoryTelemetry, type MemoryTelemetry } from '../support/otel-memory';

const tracer = trace.getTracer('untraced-listing-test');

/** Pages as the SDK fetches them: each page a request, and an instrumentation makes a span for it. */
async function* pagesWithRequestSpans(pages: number): AsyncGenerator<string> {
  for (let page = 0; page < pages; page++) {
    await tracer.startActiveSpan('GET /secrets', async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      span.end();
    });
    yield `secret-${page}`;
  }
}

describe('a vault listing steps through its pages untraced', () => {
  let otel: MemoryTelemetry;
  beforeAll(() => (otel = installMemoryTelemetry()));
  afterAll(() => otel.shutdown());
  beforeEach(() => otel.reset());

  it('makes no span for the requests of its pages, yet every span its caller makes per item is kept under the caller', async () => {
    const seen: string[] = [];
    await tracer.startActiveSpan('schedule.sweep', async (sweep) => {
      for await (const name of untracedIteration(pagesWithRequestSpans(3))) {
        seen.push(name);
        tracer.startSpan(`decide ${name}`).end();
      }
      sweep.end();
    });
    expect(seen).toEqual(['secret-0', 'secret-1', 'secret-2']);
    const spans = otel.spans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'decide secret-0',
      'decide secret-1',
      'decide secret-2',
      'schedule.sweep',
    ]);
    const sweepId = spans.find((s) => s.name === 'schedule.sweep')?.spanContext().spanId;
    for (const span of spans.filter((s) => s.name.startsWith('decide'))) {
      expect(span.parentSpanContext?.spanId).toBe(sweepId);
    }
  });

  it('would trace each page without it (the test sees the spans it suppresses)', async () => {
    for await (const name of pagesWithRequestSpans(2)) void name;
    expect(otel.spans().filter((s) => s.name === 'GET /secrets')).toHaveLength(2);
  });

  it('passes a failing page on to its caller', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'first';
      await Promise.resolve();
      throw new Error('page 2 failed');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const name of untracedIteration(failing())) seen.push(name);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(seen).toEqual(['first']);
  });
});
