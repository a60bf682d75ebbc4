import { randomUUID } from 'node:crypto';
import { SecretClient } from '@azure/keyvault-secrets';
import { generateKeyPair, SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { createEmulatorClientOptions } from '../../src/emulator/client-options';
import type { SecretStore } from '../../src/vault';
import { freePort, startDaemonProcess } from '../support/cli-process';
import { emulatorStore, startTestEmulator, vaultEnv, type TestEmulator } from '../support/emulator';
import { pause, waitFor } from '../support/wait';

// The Redis-loss test empties a whole database: the one this worktree's task was given.
const REDIS_DB = 2;
const GRACE_S = 3;
const POLL_S = 1;
const DAEMON_OID = 'aaaa0000-0000-4000-8000-00000000d43e';
const READER_OID = 'aaaa0000-0000-4000-8000-0000000a11ce';
const STRANGER_OID = 'aaaa0000-0000-4000-8000-000000000e5e';

describe('reads outside the rotator, found in the emulated Key Vault audit log (processes)', () => {
  let emulator: TestEmulator;
  let store: SecretStore;
  let env: Record<string, string>;
  let token: (oid: string, upn?: string) => Promise<string>;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;

  /** A real SecretClient signed in as someone (the emulator records the token's claims). */
  async function clientAs(oid: string, upn?: string): Promise<SecretClient> {
    const jwt = await token(oid, upn);
    return new SecretClient(
      emulator.url,
      { getToken: () => Promise.resolve({ token: jwt, expiresOnTimestamp: Date.now() + 3_600_000 }) },
      createEmulatorClientOptions(emulator.caPem),
    );
  }

  /** Committed rotations of a secret (by reason), read from its versions' tags without reading a value. */
  async function rotations(name: string): Promise<Array<{ reason: string; rotatedAt: string }>> {
    const found: Array<{ reason: string; rotatedAt: string }> = [];
    for await (const v of store.listVersions(name)) {
      const reason = v.tags['rotation-reason'];
      const rotatedAt = v.tags['rotated-at'];
      if (v.tags['rotation-id'] !== undefined && reason !== undefined && rotatedAt !== undefined)
        found.push({ reason, rotatedAt });
    }
    return found;
  }

  async function seed(name: string, tags: Record<string, string> = {}): Promise<void> {
    await store.set(name, `initial-${name}`, {
      tags: {
        'rotation-target': 'keyvault',
        'rotated-at': DateTime.utc().minus({ hours: 1 }).toISO() ?? '',
        'rotation-readers': READER_OID,
        ...tags,
      },
    });
  }

  function unbrokeredRecords(logs: string): Array<Record<string, string>> {
    return logs
      .split('\n')
      .filter((line) => line.includes('"audit"'))
      .map((line) => (JSON.parse(line) as { audit?: Record<string, string> }).audit)
      .filter((a): a is Record<string, string> => a?.action === 'read' && a.outcome === 'unbrokered');
  }

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('RS256');
    token = (oid, upn) =>
      new SignJWT({ oid, ...(upn !== undefined && { upn }) })
        .setProtectedHeader({ alg: 'RS256' })
        .setExpirationTime('2h')
        .sign(privateKey);
    emulator = await startTestEmulator();
    const daemonToken = await token(DAEMON_OID);
    // The test's own adapter acts as the rotator (same identity, same request-id mark): its reads are routine.
    store = emulatorStore(emulator, daemonToken);
    env = {
      ...vaultEnv(emulator, daemonToken),
      REDIS_URL: redisUrl,
      ROTATOR_QUEUE_PREFIX: `t-audit-${randomUUID().slice(0, 8)}`,
      ROTATOR_ROTATION_INTERVAL: 'P1D',
      ROTATOR_USAGE_GRACE: `PT${GRACE_S}S`,
      ROTATOR_SWEEP_INTERVAL: 'PT10M',
      ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      ROTATOR_AUDIT_WORKSPACE_ID: emulator.workspaceId,
      ROTATOR_LOGS_ENDPOINT: emulator.logsUrl,
      ROTATOR_AUDIT_POLL: `PT${POLL_S}S`,
      ROTATOR_LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await emulator?.close();
  });

  it('forces a rotation within grace plus poll after a read through SecretClient by an identity outside rotation-readers', async () => {
    await seed('svc-outside');
    const daemon = await startDaemonProcess(env, await freePort());
    const readAt = DateTime.utc();
    const client = await clientAs(STRANGER_OID, 'eve@contoso.com');
    await client.getSecret('svc-outside');
    const [rotation] = await waitFor(
      'the forced rotation',
      async () => {
        const found = await rotations('svc-outside');
        return found.length > 0 ? found : undefined;
      },
      (GRACE_S + POLL_S) * 1000 + 20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${daemon.logs().slice(-4000)}`);
    });
    expect(rotation?.reason).toBe('usage');
    // Counted from the read: never before read + grace.
    const rotatedAt = DateTime.fromISO(rotation?.rotatedAt ?? '');
    expect(rotatedAt.toMillis()).toBeGreaterThanOrEqual(readAt.plus({ seconds: GRACE_S }).toMillis() - 1_000);
    const records = unbrokeredRecords(daemon.logs());
    expect(records).toEqual([
      expect.objectContaining({
        secret: 'svc-outside',
        verified: 'true',
        reason: 'read outside the rotator',
      }),
    ]);
    expect(records[0]?.actor).toContain('eve@contoso.com');
    // The rotator's own reads (the rotation, the tag look-ups) are not uses: no rotation follows.
    await pause((GRACE_S + 3 * POLL_S) * 1000);
    expect(await rotations('svc-outside')).toHaveLength(1);
    expect(await daemon.stop()).toBe(0);
  }, 90_000);

  it('does not rotate after a read by a reader listed in rotation-readers', async () => {
    await seed('svc-routine');
    const daemon = await startDaemonProcess(env, await freePort());
    await (await clientAs(READER_OID)).getSecret('svc-routine');
    await pause((GRACE_S + 4 * POLL_S) * 1000);
    expect(await rotations('svc-routine')).toEqual([]);
    expect(unbrokeredRecords(daemon.logs()).filter((r) => r.secret === 'svc-routine')).toEqual([]);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);

  it('still finds a read made while Redis was lost, after the daemon restarts', async () => {
    await seed('svc-lost');
    const first = await startDaemonProcess(env, await freePort());
    expect(await first.stop()).toBe(0);
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    await (await clientAs(STRANGER_OID)).getSecret('svc-lost');
    const second = await startDaemonProcess(env, await freePort());
    const found = await waitFor(
      'the forced rotation after the restart',
      async () => {
        const r = await rotations('svc-lost');
        return r.length > 0 ? r : undefined;
      },
      (GRACE_S + POLL_S) * 1000 + 20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${second.logs().slice(-4000)}`);
    });
    expect(found.map((r) => r.reason)).toEqual(['usage']);
    expect(await second.stop()).toBe(0);
  }, 90_000);

  it('has three replicas handle each row once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `svc-replica-${i}`);
    for (const name of names) await seed(name);
    const daemons = await Promise.all([0, 1, 2].map(async () => startDaemonProcess(env, await freePort())));
    const client = await clientAs(STRANGER_OID, 'mallory@contoso.com');
    for (const name of names) {
      // Several reads each: still one use per secret.
      for (let i = 0; i < 3; i += 1) await client.getSecret(name);
    }
    await waitFor(
      'every secret to be rotated',
      async () => {
        const counts = await Promise.all(names.map(async (n) => (await rotations(n)).length));
        return counts.every((c) => c > 0) ? counts : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${daemons.map((d) => d.logs().slice(-3000)).join('\n---\n')}`);
    });
    await pause((GRACE_S + 3 * POLL_S) * 1000);
    const counts = await Promise.all(names.map(async (n) => (await rotations(n)).length));
    expect(counts).toEqual(names.map(() => 1));
    const records = daemons
      .flatMap((d) => unbrokeredRecords(d.logs()))
      .filter((r) => names.includes(r.secret ?? ''));
    // One record per secret across all replicas, standing for its three reads.
    expect(records.map((r) => r.secret).sort()).toEqual([...names].sort());
    expect(records.every((r) => r.reads === '3')).toBe(true);
    expect(await Promise.all(daemons.map((d) => d.stop()))).toEqual([0, 0, 0]);
  }, 120_000);
});
