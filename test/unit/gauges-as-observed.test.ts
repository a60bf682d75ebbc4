import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { gaugesAsObserved } from '../../src/telemetry/otlp-exporters';

/** Exports twice; the gauge observes `first` secrets, then `second`. Returns each export's secrets. */
async function twoExports(wrap: boolean, first: string[], second: string[]): Promise<string[][]> {
  const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: wrap ? gaugesAsObserved(memory) : memory,
    exportIntervalMillis: 3_600_000,
  });
  const provider = new MeterProvider({ readers: [reader] });
  let observing = first;
  const counter = provider.getMeter('t').createCounter('rotations');
  provider
    .getMeter('t')
    .createObservableGauge('secret.age')
    .addCallback((result) => {
      for (const secret of observing) result.observe(1, { secret });
    });
  counter.add(1);
  const seen: string[][] = [];
  for (const next of [second, undefined]) {
    await reader.forceFlush();
    const last = memory.getMetrics().at(-1);
    const gauge = last?.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === 'secret.age');
    seen.push((gauge?.dataPoints ?? []).map((p) => String(p.attributes.secret)).sort());
    const rotations = last?.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === 'rotations');
    expect(rotations?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    if (next !== undefined) observing = next;
  }
  await provider.shutdown();
  return seen;
}

describe('OTLP gauges are reported as observed at each export', () => {
  it('drops a series the gauge no longer observes, while counters stay cumulative', async () => {
    expect(await twoExports(true, ['a', 'b'], ['b', 'c'])).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
  });

  it('would keep reporting the series no longer observed without it (what it prevents)', async () => {
    expect(await twoExports(false, ['a', 'b'], ['b', 'c'])).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });
});
