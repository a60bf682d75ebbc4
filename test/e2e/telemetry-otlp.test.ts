import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SecretStore } from '../../src/vault';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { startTestEmulator, type TestEmulator, emulatorStore, vaultEnv } from '../support/emulator';
import { startProtobufCollector } from '../support/otlp-protobuf';
import { waitFor } from '../support/wait';

const REDIS_DB = 4;

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  links?: Array<{ traceId: string; spanId: string }>;
}

interface OtlpTraces {
  resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

describe('the daemon exporting over OTLP (protobuf, as the Aspire dashboard takes it) when Azure Monitor is not configured', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let collector: Awaited<ReturnType<typeof startProtobufCollector>>;
  const prefix = `t-otlp-${randomUUID().slice(0, 8)}`;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  let checkedOut = '';
  let rotatedValue = '';
  let exitCode: number | null = null;
  let daemonLogs = '';

  const payloads = (path: string): string =>
    collector.received
      .filter((r) => r.path === path)
      .map((r) => JSON.stringify(r.body))
      .join('\n');

  beforeAll(async () => {
    collector = await startProtobufCollector();
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    await store.set('svc-otlp', 'Initial-Otlp-1', { tags: { 'rotation-target': 'keyvault' } });
    const env = {
      ...vaultEnv(emulator),
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_USAGE_GRACE: 'PT1S',
      ROTATOR_SWEEP_INTERVAL: 'PT1S',
      ROTATOR_LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    };
    const daemon = await startDaemonProcess(env, await freePort());
    try {
      const checkout = await runRotator(
        ['checkout', 'svc-otlp', '--reason', 'INC-42', '--actor', 'sre-bob'],
        env,
      );
      expect(checkout.code).toBe(0);
      checkedOut = checkout.stdout.trim();
      const rotated = await waitFor(
        'the forced rotation',
        async () => {
          const current = await store.get('svc-otlp');
          return current?.tags['rotation-reason'] === 'usage' ? current : undefined;
        },
        30_000,
      );
      rotatedValue = rotated.value;
      // The checkout's span and the rotation's reach the collector only because shutdown flushes them.
    } finally {
      exitCode = await daemon.stop('SIGTERM');
      daemonLogs = daemon.logs();
    }
  }, 90_000);

  afterAll(async () => {
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
    await new Promise((resolve) => collector?.server.close(resolve));
  });

  it('stops cleanly after flushing, with nothing refused by the protobuf-only receiver', () => {
    expect(exitCode).toBe(0);
    expect(collector.refused).toEqual([]);
  });

  it('exports the checkout and the rotation it forced as spans of the rotator service', () => {
    const traces = payloads('/v1/traces');
    expect(traces).toContain('"service.name"');
    expect(traces).toContain('"stringValue":"rotator"');
    expect(traces).toContain('"name":"usage.checkout"');
    expect(traces).toContain('"name":"rotation"');
    expect(traces).toContain('"name":"schedule.sweep"');
    expect(traces).toContain('"stringValue":"INC-42"');
  });

  it('links the forced rotation to the checkout span that caused it', () => {
    const spans = collector.received
      .filter((r) => r.path === '/v1/traces')
      .flatMap((r) => (r.body as unknown as OtlpTraces).resourceSpans)
      .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    const checkout = spans.find((s) => s.name === 'usage.checkout');
    const rotation = spans.find((s) => s.name === 'rotation' && (s.links ?? []).length > 0);
    expect(rotation?.links?.[0]).toMatchObject({ traceId: checkout?.traceId, spanId: checkout?.spanId });
  });

  it('exports the audit records as OTLP log records', () => {
    const logs = payloads('/v1/logs');
    expect(logs).toContain('RotatorAudit');
    expect(logs).toContain('"stringValue":"sre-bob"');
    expect(logs).toContain('"stringValue":"checkout"');
    expect(logs).toContain('"stringValue":"rotation"');
  });

  it('flushes the rotation metrics on shutdown', () => {
    const metrics = payloads('/v1/metrics');
    expect(metrics).toContain('"name":"rotator.rotations"');
    expect(metrics).toContain('"name":"rotator.rotation.duration"');
    expect(metrics).toContain('"name":"rotator.secret.age"');
  });

  it('never exports a secret value', () => {
    expect(checkedOut.length).toBeGreaterThan(8);
    const everything = collector.received.map((r) => JSON.stringify(r.body)).join('\n') + daemonLogs;
    expect(everything).not.toContain(checkedOut);
    expect(rotatedValue.length).toBeGreaterThan(8);
    expect(everything).not.toContain(rotatedValue);
  });
});
