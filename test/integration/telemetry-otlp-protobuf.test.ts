import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../../src/config';
import { otlpExporters } from '../../src/telemetry/otlp-exporters';
import { startProtobufCollector } from '../support/otlp-protobuf';

type Collector = Awaited<ReturnType<typeof startProtobufCollector>>;

async function exportOneSpan(exporters: ReturnType<typeof otlpExporters>): Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporters.traces)] });
  provider
    .getTracer('rotator')
    .startSpan('rotation', { attributes: { 'rotator.secret': 'svc-proto' } })
    .end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('OTLP in the protocol the Aspire dashboard accepts', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startProtobufCollector();
  });
  afterAll(() => new Promise((resolve) => collector.server.close(resolve)));

  it('defaults OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf and refuses a protocol it cannot speak', () => {
    expect(loadConfig({}).otlpProtocol).toBe('http/protobuf');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpProtocol).toBe('http/json');
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
  });

  it('delivers spans as OTLP/HTTP protobuf that decode to the rotator’s span and attributes', async () => {
    await exportOneSpan(otlpExporters(collector.url, 'http/protobuf'));
    const traces = collector.received.filter((r) => r.path === '/v1/traces');
    expect(traces.map((r) => r.contentType)).toEqual(['application/x-protobuf']);
    const text = JSON.stringify(traces[0]?.body);
    expect(text).toContain('"name":"rotation"');
    expect(text).toContain('{"key":"rotator.secret","value":{"stringValue":"svc-proto"}}');
  });

  it('shows why JSON was wrong: a dashboard-like receiver refuses OTLP/HTTP JSON', async () => {
    await exportOneSpan(otlpExporters(collector.url, 'http/json')).catch(() => undefined);
    expect(collector.refused).toEqual(['/v1/traces application/json']);
  });
});
