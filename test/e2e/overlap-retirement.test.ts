import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { deletePrefix } from '../support/redis-scan';
import type { SecretStore } from '../../src/vault';
import { freePort, runRotator, startDaemonProcess } from '../support/cli-process';
import { startTestEmulator, type TestEmulator, emulatorStore, vaultEnv } from '../support/emulator';
import { waitFor } from '../support/wait';

/** The DB this helper's tests may use whole (see HELPERS.md); keys are also under a fresh prefix. */
const REDIS_DB = 5;

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpLogs {
  resourceLogs?: Array<{ scopeLogs?: Array<{ logRecords?: Array<{ attributes?: OtlpAttribute[] }> }> }>;
}

function startCollector(): Promise<{ server: Server; url: string; logs: Record<string, string>[] }> {
  const logs: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/logs') {
        const parsed = JSON.parse(body) as OtlpLogs;
        for (const rl of parsed.resourceLogs ?? [])
          for (const sl of rl.scopeLogs ?? [])
            for (const record of sl.logRecords ?? [])
              logs.push(
                Object.fromEntries((record.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? ''])),
              );
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logs }),
    ),
  );
}

describe('overlap and retirement with a daemon process', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  const prefix = `t-overlap-${randomUUID().slice(0, 8)}`;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  let env: Record<string, string>;

  const readable = async (name: string, version: string): Promise<boolean> => {
    try {
      return (await store.get(name, version)) !== undefined;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    collector = await startCollector();
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    env = {
      ...vaultEnv(emulator),
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: prefix,
      ROTATOR_USAGE_GRACE: 'PT1S',
      ROTATOR_SWEEP_INTERVAL: 'PT2S',
      ROTATOR_LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      // The collector reads OTLP/HTTP JSON.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
  });

  afterAll(async () => {
    await deletePrefix(redisUrl, prefix);
    await emulator?.close();
    await new Promise((resolve) => collector?.server.close(resolve));
  });

  it('a consumer holding the old credential works through a manual rotation’s overlap and fails after; a used one dies at once despite an overlap policy; every audit record carries its proof', async () => {
    const old = await store.set('svc-overlap', 'Old-Overlap-1', {
      tags: { 'rotation-target': 'keyvault', 'rotation-overlap': 'PT20S' },
    });
    const usedOld = await store.set('svc-used', 'Old-Used-1', {
      tags: { 'rotation-target': 'keyvault', 'rotation-overlap': 'PT1H' },
    });
    const daemon = await startDaemonProcess(env, await freePort());
    try {
      const rotated = await runRotator(['rotate', 'svc-overlap', '--wait'], env);
      expect(rotated.code).toBe(0);
      const rotatedAt = Date.now();
      // Inside the overlap the old version (what a consumer cached) still reads.
      expect(await readable('svc-overlap', old.version)).toBe(true);
      const status = await runRotator(['status', 'svc-overlap', '--output', 'json'], env);
      const row = (
        JSON.parse(status.stdout) as { secrets: Array<{ overlapEnd: string | null; retirement: string }> }
      ).secrets[0];
      expect(row?.retirement).toBe('pending');
      expect(Date.parse(row?.overlapEnd ?? '') - rotatedAt).toBeGreaterThan(10_000);

      const checkout = await runRotator(
        ['checkout', 'svc-used', '--reason', 'INC-7', '--actor', 'sre-ann'],
        env,
      );
      expect(checkout.code).toBe(0);
      await waitFor(
        'the forced rotation of svc-used',
        async () => ((await store.get('svc-used'))?.tags['rotation-reason'] === 'usage' ? true : undefined),
        30_000,
      );
      // The used value is refused right after the forced rotation, although the secret asks for an hour.
      expect(await readable('svc-used', usedOld.version)).toBe(false);

      await waitFor(
        'the end of the overlap',
        async () => ((await readable('svc-overlap', old.version)) ? undefined : true),
        60_000,
      );
      expect(Date.now() - rotatedAt).toBeGreaterThan(19_000);
      const after = await runRotator(['status', 'svc-overlap', '--output', 'json'], env);
      expect(after.stdout).toContain('"retirement":"proven"');
    } finally {
      expect(await daemon.stop('SIGTERM')).toBe(0);
    }
    const rotations = collector.logs.filter((r) => r.action === 'rotation' && r.outcome === 'rotated');
    expect(rotations.map((r) => r.secret).sort()).toEqual(['svc-overlap', 'svc-used']);
    for (const record of rotations) expect(['pending', 'proven']).toContain(record.retirement);
    expect(rotations.find((r) => r.secret === 'svc-used')).toMatchObject({
      retirement: 'proven',
      retirement_check: 'version disabled',
    });
    expect(rotations.find((r) => r.secret === 'svc-overlap')?.overlap_until).toBeTruthy();
    const retirements = collector.logs.filter((r) => r.action === 'retirement');
    expect(retirements.find((r) => r.secret === 'svc-overlap')).toMatchObject({ retirement: 'proven' });
  }, 120_000);
});
