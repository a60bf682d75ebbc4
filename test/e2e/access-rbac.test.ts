import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIssuer, type TestIssuer } from '../../tools/demo/test-issuer';
import { isRotatorError } from '../../src/errors';
import {
  API_AUDIENCE,
  brokeredEnv,
  forcedRotation,
  PEOPLE,
  startAccessDaemon,
  type DaemonProcess,
} from '../support/access';
import { runRotator, spawnEmulator } from '../support/cli-process';
import { emulatorStore, vaultEnv } from '../support/emulator';
import { deletePrefix } from '../support/redis-scan';

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
  let daemon: DaemonProcess;
  let apiUrl: string;
  let apiCa: { caFile: string };
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
    ({ daemon, apiUrl, apiCa } = await startAccessDaemon(
      {
        // The daemon's own identity: the only principal with a role on the vault.
        ...vaultEnv(vault, rotatorToken),
        REDIS_URL,
        ROTATOR_QUEUE_PREFIX: prefix,
        ROTATOR_USAGE_GRACE: 'PT3S',
        ROTATOR_RETRY_BACKOFF: 'PT0.2S',
      },
      issuer,
    ));
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
    await emulator?.stop();
    await deletePrefix(REDIS_URL, prefix);
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
      issuer
        .mint(PEOPLE[who], { audience: API_AUDIENCE })
        .then((token) => brokeredEnv(apiUrl, apiCa.caFile, token));
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
    const rotated = await forcedRotation(emulatorStore(vault, rotatorToken), 'svc-payroll', 60_000);
    expect(rotated.value).not.toBe('Payroll-initial-1');
  }, 120_000);
});
