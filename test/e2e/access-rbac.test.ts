import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startTestIssuer, type TestIssuer } from '../../tools/demo/test-issuer';
import { isRotatorError } from '../../src/errors';
import { API_AUDIENCE, apiTlsFiles, PEOPLE } from '../support/access';
import { freePort, runRotator, spawnEmulator, startDaemonProcess } from '../support/cli-process';
import { emulatorStore } from '../support/emulator';
import { waitFor } from '../support/wait';

/**
 * The point of zero standing access, proved against the emulator's RBAC (`rotator emulator --rbac`):
 * a person with no vault role gets 403 going to the vault directly, and reads the value through the
 * broker, whose identity is the only one with a role on the vault.
 */
const VAULT_AUDIENCE = 'https://vault.azure.net';
const REDIS_URL = 'redis://127.0.0.1:6379/1';

describe('RBAC: no human vault role, access only through the broker (emulator --rbac)', () => {
  let issuer: TestIssuer;
  let emulator: Awaited<ReturnType<typeof spawnEmulator>>;
  let vault: { url: string; caFile: string };
  let rotatorToken: string;
  let daemon: Awaited<ReturnType<typeof startDaemonProcess>>;
  let apiUrl: string;
  let apiCaFile: string;
  const prefix = `t-rbac-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    const dir = await mkdtemp(join(tmpdir(), 'rotator-rbac-'));
    const rbacFile = join(dir, 'rbac.json');
    await writeFile(
      rbacFile,
      JSON.stringify({
        issuer: issuer.issuer,
        caFile: issuer.caFile,
        assignments: [{ principalId: PEOPLE.rotator.oid, role: 'Key Vault Secrets Officer', scope: 'vault' }],
      }),
    );
    emulator = await spawnEmulator(['--port', '0', '--rbac', rbacFile]);
    vault = { url: emulator.line.url ?? '', caFile: emulator.line.caFile ?? '' };
    rotatorToken = await issuer.mint(PEOPLE.rotator, { audience: VAULT_AUDIENCE });
    await emulatorStore(vault, rotatorToken).set('svc-payroll', 'Payroll-initial-1', {
      tags: { 'rotation-target': 'keyvault', 'rotation-approval': 'required' },
    });
    const tls = await apiTlsFiles();
    apiCaFile = tls.caFile;
    const apiPort = await freePort();
    apiUrl = `https://127.0.0.1:${apiPort}`;
    daemon = await startDaemonProcess(
      {
        ROTATOR_VAULT_URL: vault.url,
        ROTATOR_VAULT_CA_FILE: vault.caFile,
        // The daemon's own identity: the only principal with a role on the vault.
        ROTATOR_VAULT_TOKEN: rotatorToken,
        REDIS_URL,
        ROTATOR_QUEUE_PREFIX: prefix,
        ROTATOR_USAGE_GRACE: 'PT3S',
        ROTATOR_RETRY_BACKOFF: 'PT0.2S',
        ROTATOR_API_PORT: String(apiPort),
        ROTATOR_API_TLS_CERT_FILE: tls.certFile,
        ROTATOR_API_TLS_KEY_FILE: tls.keyFile,
        ROTATOR_API_AUDIENCE: API_AUDIENCE,
        ROTATOR_API_ISSUER: issuer.issuer,
        NODE_EXTRA_CA_CERTS: issuer.caFile,
      },
      await freePort(),
    );
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
    await emulator?.stop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await issuer?.close();
  });

  it('refuses the person at the vault (403 ForbiddenByRbac) and gives them the value through the broker', async () => {
    const direct = emulatorStore(vault, await issuer.mint(PEOPLE.bob, { audience: VAULT_AUDIENCE }));
    const refused = await direct.get('svc-payroll').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isRotatorError(refused) && refused.code).toBe('VAULT_FORBIDDEN');
    expect(isRotatorError(refused) && refused.message).toContain('HTTP 403');

    const env = (who: keyof typeof PEOPLE): Promise<Record<string, string>> =>
      issuer.mint(PEOPLE[who], { audience: API_AUDIENCE }).then((token) => ({
        ROTATOR_API_URL: apiUrl,
        ROTATOR_API_CA_FILE: apiCaFile,
        ROTATOR_API_TOKEN: token,
      }));
    const id = (
      await runRotator(
        ['request', 'svc-payroll', '--reason', 'payroll rerun', '--ticket', 'INC-77'],
        await env('bob'),
      )
    ).stdout.trim();
    expect((await runRotator(['approve', id], await env('carol'))).code).toBe(0);
    const checkout = await runRotator(
      ['checkout', 'svc-payroll', '--reason', 'payroll rerun', '--ticket', 'INC-77'],
      await env('bob'),
    );
    expect(checkout.code).toBe(0);
    expect(checkout.stdout).toBe('Payroll-initial-1\n');
    // The forced rotation follows, by the daemon's identity, the only one the vault lets in.
    const officer = emulatorStore(vault, rotatorToken);
    const rotated = await waitFor(
      'the forced rotation',
      async () => {
        const latest = await officer.get('svc-payroll');
        return latest?.tags['rotation-reason'] === 'usage' ? latest : undefined;
      },
      60_000,
    );
    expect(rotated.value).not.toBe('Payroll-initial-1');
  }, 120_000);
});
