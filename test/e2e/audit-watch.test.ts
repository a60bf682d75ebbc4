import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretClient } from '@azure/keyvault-secrets';
import { generateKeyPair, SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { AUDIT_COLUMNS } from '../../src/audit-watch/audit-row';
import { createEmulatorClientOptions } from '../../src/emulator/client-options';
import type { SecretStore } from '../../src/vault';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, vaultEnv, type TestEmulator } from '../support/emulator';
import { startFakeLogsEndpoint, tablesAnswer, type FakeLogsEndpoint } from '../support/fake-logs-endpoint';
import { pause, waitFor } from '../support/wait';

// Until the emulator serves the audit log itself, the test writes the row Key Vault would log for
// each read it makes (its time, the addressed version, the request id the SDK sent, the token's claims).
const REDIS_DB = 2;
const GRACE_S = 3;
const POLL_S = 1;
const WORKSPACE = 'aaaa0000-0000-4000-8000-0000000000ff';
const DAEMON_OID = 'aaaa0000-0000-4000-8000-00000000d43e';
const READER_OID = 'aaaa0000-0000-4000-8000-0000000a11ce';
const STRANGER_OID = 'aaaa0000-0000-4000-8000-000000000e5e';

type Cell = string | number | Record<string, unknown>;

describe('reads outside the rotator, found in the vault audit log (processes, test-written log)', () => {
  let emulator: TestEmulator;
  let logs: FakeLogsEndpoint;
  let store: SecretStore;
  let env: Record<string, string>;
  let token: (oid: string, upn?: string) => Promise<string>;
  const rows: Cell[][] = [];
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  const columns = AUDIT_COLUMNS.map((name) => ({
    name,
    type: name === 'TimeGenerated' ? 'datetime' : name === 'Identity' ? 'dynamic' : 'string',
  }));

  /** Reads a secret as someone, and logs the read as Key Vault does. */
  async function readAs(oid: string, name: string, upn?: string): Promise<void> {
    const jwt = await token(oid, upn);
    let requestId = '';
    const client = new SecretClient(
      emulator.url,
      { getToken: () => Promise.resolve({ token: jwt, expiresOnTimestamp: Date.now() + 3_600_000 }) },
      createEmulatorClientOptions(emulator.caPem, {
        additionalPolicies: [
          {
            position: 'perRetry',
            policy: {
              name: 'capture-request-id',
              sendRequest: (req, next) => {
                requestId = req.headers.get('x-ms-client-request-id') ?? '';
                return next(req);
              },
            },
          },
        ],
      }),
    );
    const secret = await client.getSecret(name);
    rows.push([
      new Date().toISOString(),
      'SecretGet',
      secret.properties.id ?? '',
      `${emulator.url}/secrets/${name}/?api-version=7.5`,
      requestId,
      { claim: { oid, ...(upn !== undefined && { upn }) } },
      '127.0.0.1',
      'azsdk-js-keyvault-secrets',
    ]);
  }

  async function rotations(name: string): Promise<string[]> {
    const found: string[] = [];
    for await (const v of store.listVersions(name)) {
      const reason = v.tags['rotation-reason'];
      if (v.tags['rotation-id'] !== undefined && reason !== undefined) found.push(reason);
    }
    return found;
  }

  async function seed(name: string): Promise<void> {
    await store.set(name, `initial-${name}`, {
      tags: {
        'rotation-target': 'keyvault',
        'rotated-at': DateTime.utc().minus({ hours: 1 }).toISO() ?? '',
        'rotation-readers': READER_OID,
      },
    });
  }

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('RS256');
    token = (oid, upn) =>
      new SignJWT({ oid, ...(upn !== undefined && { upn }) })
        .setProtectedHeader({ alg: 'RS256' })
        .setExpirationTime('2h')
        .sign(privateKey);
    emulator = await startTestEmulator();
    logs = await startFakeLogsEndpoint((req) => {
      const [start = '', end = ''] = req.body.timespan.split('/');
      const take = Number(/\| take (\d+)$/.exec(req.body.query)?.[1] ?? 1000);
      const inRange = rows.filter((r) => (r[0] as string) >= start && (r[0] as string) <= end).slice(0, take);
      return tablesAnswer(columns, inRange);
    });
    const caFile = join(tmpdir(), `audit-e2e-${randomUUID()}.pem`);
    // Both CAs in Node's trust store: an explicit CA file would replace it for the logs client too.
    writeFileSync(caFile, `${emulator.caPem}\n${logs.caPem}`);
    const daemonToken = await token(DAEMON_OID);
    store = emulatorStore(emulator, daemonToken);
    const { ROTATOR_VAULT_CA_FILE: _vaultCa, ...vault } = vaultEnv(emulator, daemonToken);
    env = {
      ...vault,
      NODE_EXTRA_CA_CERTS: caFile,
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: `t-audit-${randomUUID().slice(0, 8)}`,
      ROTATOR_ROTATION_INTERVAL: 'P1D',
      ROTATOR_USAGE_GRACE: `PT${GRACE_S}S`,
      ROTATOR_SWEEP_INTERVAL: 'PT10M',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_AUDIT_WORKSPACE_ID: WORKSPACE,
      ROTATOR_LOGS_ENDPOINT: logs.url,
      ROTATOR_AUDIT_POLL: `PT${POLL_S}S`,
      ROTATOR_LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await logs?.close();
    await emulator?.close();
  });

  it('forces a rotation after a read by an identity outside rotation-readers, and none after a listed reader', async () => {
    await seed('svc-outside');
    await seed('svc-routine');
    const daemon = await startDaemonProcess(env, await freePort());
    await readAs(STRANGER_OID, 'svc-outside', 'eve@contoso.com');
    await readAs(READER_OID, 'svc-routine');
    await waitFor(
      'the forced rotation',
      async () => ((await rotations('svc-outside')).length > 0 ? true : undefined),
      (GRACE_S + POLL_S) * 1000 + 20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${daemon.logs().slice(-4000)}`);
    });
    await pause((GRACE_S + 2 * POLL_S) * 1000);
    expect(await rotations('svc-outside')).toEqual(['usage']);
    expect(await rotations('svc-routine')).toEqual([]);
    expect(logs.requests.every((r) => r.workspaceId === WORKSPACE)).toBe(true);
    expect(await daemon.stop()).toBe(0);
  }, 90_000);

  it('still finds a read made while Redis was lost, and three replicas handle each row once', async () => {
    const names = ['svc-lost-0', 'svc-lost-1', 'svc-lost-2', 'svc-lost-3'];
    for (const name of names) await seed(name);
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    for (const name of names) for (let i = 0; i < 2; i += 1) await readAs(STRANGER_OID, name);
    const daemons = await Promise.all([0, 1, 2].map(async () => startDaemonProcess(env, await freePort())));
    await waitFor(
      'every forced rotation',
      async () => {
        const counts = await Promise.all(names.map(async (n) => (await rotations(n)).length));
        return counts.every((c) => c > 0) ? counts : undefined;
      },
      60_000,
    );
    await pause((GRACE_S + 2 * POLL_S) * 1000);
    const counts = await Promise.all(names.map(async (n) => (await rotations(n)).length));
    expect(counts).toEqual(names.map(() => 1));
    const records = daemons
      .flatMap((d) => d.logs().split('\n'))
      .filter((l) => l.includes('"audit"') && l.includes('"unbrokered"') && l.includes('svc-lost-'));
    expect(records).toHaveLength(names.length);
    expect(await Promise.all(daemons.map((d) => d.stop()))).toEqual([0, 0, 0]);
  }, 120_000);
});
