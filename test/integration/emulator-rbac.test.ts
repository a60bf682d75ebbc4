import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { SignJWT } from 'jose';
import { createEmulatorClientOptions } from '../../src/emulator/client-options';
import { loadRbacPolicy } from '../../src/emulator/rbac/rbac-file';
import { RotatorError } from '../../src/errors';
import { runRotator, spawnEmulator } from '../support/cli-process';
import { rawRequest, restError, startTestEmulator, type TestEmulator } from '../support/emulator';
import { startTestIssuer, type MintOptions, type TestIssuer } from '../../tools/demo/test-issuer';

const OFFICER = 'aaaaaaaa-0000-4000-8000-000000000001';
const READER = 'aaaaaaaa-0000-4000-8000-000000000002';
const SCOPED = 'aaaaaaaa-0000-4000-8000-000000000003';
const NOBODY = 'aaaaaaaa-0000-4000-8000-000000000004';

let oidc: TestIssuer;
let emu: TestEmulator;
let dir: string;

/** A Key Vault access token for `oid` (an app-only token unless `upn` makes it a person's). */
function vaultToken(
  who: { oid: string; upn?: string; appId?: string },
  options: Partial<MintOptions> = {},
): Promise<string> {
  return oidc.mint(who, { audience: 'https://vault.azure.net', ...options });
}

function writeRbac(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-rbac-'));
  oidc = await startTestIssuer();
  const file = writeRbac('rbac.json', {
    issuer: oidc.issuer,
    issuers: [`https://sts.windows.net/${oidc.tenantId}/`],
    caFile: oidc.caFile,
    assignments: [
      { principalId: OFFICER, role: 'Key Vault Secrets Officer', scope: 'vault' },
      { principalId: READER, role: 'Key Vault Secrets User', scope: 'vault' },
      { principalId: SCOPED, role: 'Key Vault Secrets User', scope: 'secrets/scoped-a' },
    ],
  });
  emu = await startTestEmulator({ rbac: loadRbacPolicy(file) });
  const officer = clientAs(await vaultToken({ oid: OFFICER, appId: 'app-officer' }));
  await officer.setSecret('scoped-a', 'value-a');
  await officer.setSecret('scoped-b', 'value-b');
});
afterAll(async () => {
  await emu.close();
  await oidc.close();
});

function clientAs(token: string): SecretClient {
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
  return new SecretClient(
    emu.url,
    credential,
    createEmulatorClientOptions(readFileSync(emu.caFile, 'utf8'), { retryOptions: { maxRetries: 0 } }),
  );
}

async function listAll(client: SecretClient): Promise<string[]> {
  const names: string[] = [];
  for await (const p of client.listPropertiesOfSecrets()) names.push(p.name);
  return names;
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('rotator emulator --rbac: identities and roles as Key Vault enforces them', () => {
  test('an identity with no role is refused get and list with 403 ForbiddenByRbac', async () => {
    const nobody = clientAs(await vaultToken({ oid: NOBODY, upn: 'mallory@contoso.example' }));
    const get = await restError(nobody.getSecret('scoped-a'));
    expect(get.statusCode).toBe(403);
    expect(get.code).toBe('Forbidden');
    const list = await restError(listAll(nobody));
    expect(list.statusCode).toBe(403);

    const raw = await rawRequest(emu, {
      method: 'GET',
      path: '/secrets/scoped-a?api-version=7.5',
      headers: bearer(await vaultToken({ oid: NOBODY })),
    });
    const body = raw.json as { error: { code: string; message: string; innererror: { code: string } } };
    expect(raw.status).toBe(403);
    expect(body.error.code).toBe('Forbidden');
    expect(body.error.innererror).toEqual({ code: 'ForbiddenByRbac' });
    const lines = body.error.message.split('\r\n');
    expect(lines[0]).toBe('Caller is not authorized to perform action on resource.');
    expect(lines).toContain(`Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'`);
    expect(lines).toContain('Assignment: (not found)');
    expect(lines.find((l) => l.startsWith('Caller: '))).toContain(`oid=${NOBODY}`);
    expect(lines.find((l) => l.startsWith('Resource: '))).toMatch(
      /\/providers\/microsoft\.keyvault\/vaults\/emulator-\d+\/secrets\/scoped-a'$/,
    );
    expect(body.error.message).not.toContain('value-a');
  });

  test('Secrets User reads and lists but may not write; Secrets Officer writes', async () => {
    const reader = clientAs(await vaultToken({ oid: READER }));
    expect((await reader.getSecret('scoped-b')).value).toBe('value-b');
    expect(await listAll(reader)).toEqual(expect.arrayContaining(['scoped-a', 'scoped-b']));
    const set = await restError(reader.setSecret('scoped-b', 'hijacked'));
    expect(set.statusCode).toBe(403);
    expect(set.message).toContain('Microsoft.KeyVault/vaults/secrets/setSecret/action');
    const officer = clientAs(await vaultToken({ oid: OFFICER }));
    expect((await officer.getSecret('scoped-b')).value).toBe('value-b');
  });

  test('a secret-scope assignment reaches that secret only, and never lists the vault', async () => {
    const scoped = clientAs(await vaultToken({ oid: SCOPED }));
    expect((await scoped.getSecret('scoped-a')).value).toBe('value-a');
    expect((await scoped.getSecret('SCOPED-A')).value).toBe('value-a');
    expect((await restError(scoped.getSecret('scoped-b'))).statusCode).toBe(403);
    expect((await restError(listAll(scoped))).statusCode).toBe(403);
    const raw = await rawRequest(emu, {
      method: 'GET',
      path: '/secrets?api-version=7.5',
      headers: bearer(await vaultToken({ oid: SCOPED })),
    });
    expect(raw.status).toBe(403);
    expect(raw.text).toContain('Microsoft.KeyVault/vaults/secrets/readMetadata/action');
    expect(raw.json).toMatchObject({ error: { innererror: { code: 'ForbiddenByRbac' } } });
  });

  test("the v1 issuer form and Key Vault's application id as audience are accepted when configured", async () => {
    const v1 = await vaultToken(
      { oid: READER },
      { version: 1, claims: { iss: `https://sts.windows.net/${oidc.tenantId}/` } },
    );
    expect((await clientAs(v1).getSecret('scoped-b')).value).toBe('value-b');
    const byAppId = await vaultToken({ oid: READER }, { audience: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093' });
    expect((await clientAs(byAppId).getSecret('scoped-b')).value).toBe('value-b');
  });

  test.each([
    ['expired', () => vaultToken({ oid: OFFICER }, { expiresIn: -3600 })],
    [
      'for another audience',
      () => vaultToken({ oid: OFFICER }, { audience: 'https://management.azure.com' }),
    ],
    [
      'from another issuer',
      () => vaultToken({ oid: OFFICER }, { claims: { iss: 'https://login.microsoftonline.com/other/v2.0' } }),
    ],
    ['signed by an unknown key', () => vaultToken({ oid: OFFICER }, { signing: 'unpublished' })],
    [
      'with a signature that does not match its published key',
      () => vaultToken({ oid: OFFICER }, { signing: 'tampered' }),
    ],
    ['unsigned (alg none)', () => vaultToken({ oid: OFFICER }, { signing: 'none' })],
    [
      'signed with HS256',
      () =>
        new SignJWT({ oid: OFFICER })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(oidc.issuer)
          .setAudience('https://vault.azure.net')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef')),
    ],
    ['opaque', () => Promise.resolve('not-a-jwt')],
  ])('a token %s is refused with 401 and the challenge, and changes nothing', async (_what, mint) => {
    const token = await mint();
    const res = await rawRequest(emu, {
      method: 'PUT',
      path: '/secrets/scoped-a?api-version=7.5',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'overwritten' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('resource="https://vault.azure.net"');
    expect(res.json).toMatchObject({ error: { code: 'Unauthorized' } });
    const reader = clientAs(await vaultToken({ oid: READER }));
    expect((await reader.getSecret('scoped-a')).value).toBe('value-a');
  });

  test('refusals land in the request log as Forbidden / Unauthorized rows with the caller', async () => {
    await rawRequest(emu, {
      method: 'GET',
      path: '/secrets/scoped-b?api-version=7.5',
      headers: { ...bearer(await vaultToken({ oid: NOBODY })), 'x-ms-client-request-id': 'rbac-corr-1' },
    });
    const row = emu.requestLog.visible().find((r) => r['CorrelationId'] === 'rbac-corr-1');
    expect(row).toMatchObject({
      OperationName: 'SecretGet',
      ResultSignature: 'Forbidden',
      HttpStatusCode: 403,
      IsRbacAuthorized: false,
      Identity: { claim: { oid: NOBODY } },
    });
  });
});

describe('rotator emulator --rbac FILE (the file)', () => {
  test.each([
    ['missing', undefined, /cannot be read \(ENOENT\)/],
    ['not JSON', '{"issuer": ', /not valid JSON/],
    [
      'an unknown role',
      {
        issuer: 'https://issuer.example/v2.0',
        assignments: [{ principalId: 'x', role: 'Owner', scope: 'vault' }],
      },
      /assignments\.0\.role/,
    ],
    [
      'a bad scope',
      {
        issuer: 'https://issuer.example/v2.0',
        assignments: [{ principalId: 'x', role: 'Key Vault Secrets User', scope: 'keys/k' }],
      },
      /scope must be "vault" or "secrets\/<name>"/,
    ],
    ['no issuer', { assignments: [] }, /issuer/],
    [
      'an unknown field',
      { issuer: 'https://issuer.example/v2.0', assignments: [], roles: [] },
      /roles|Unrecognized/,
    ],
    [
      'an unreadable caFile',
      { issuer: 'https://issuer.example/v2.0', caFile: 'nope.pem', assignments: [] },
      /caFile .*nope\.pem cannot be read/,
    ],
  ])('%s: a usage error (exit 2) naming the file and the problem', (_what, content, message) => {
    const file =
      content === undefined ? join(dir, 'absent.json') : writeRbac(`bad-${Math.random()}.json`, content);
    let error: unknown;
    try {
      loadRbacPolicy(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RotatorError);
    const e = error as RotatorError;
    expect(e.exitCode).toBe(2);
    expect(e.toOneLine()).toMatch(/^USAGE_INVALID: the rbac file .* is invalid: /);
    expect(e.toOneLine()).toMatch(message);
    expect(e.toOneLine()).not.toContain('\n');
  });

  test('the command refuses a bad file with exit 2, one line on stderr, and no server', async () => {
    const file = writeRbac('bad-role.json', {
      issuer: 'https://issuer.example/v2.0',
      assignments: [{ principalId: 'x', role: 'Owner', scope: 'vault' }],
    });
    const res = await runRotator(['emulator', '--port', '0', '--rbac', file], {});
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^rotator: USAGE_INVALID: the rbac file .*bad-role\.json is invalid: assignments\.0\.role/,
    );
  });

  test('a YAML file is read too, and the emulator prints url, caFile, logsUrl and workspaceId', async () => {
    const file = writeRbac(
      'rbac.yaml',
      `issuer: ${oidc.issuer}\ncaFile: ${oidc.caFile}\nassignments:\n  - principalId: ${READER}\n    role: Key Vault Secrets User\n    scope: vault\n`,
    );
    expect(loadRbacPolicy(file).assignments).toEqual([
      { principalId: READER, role: 'Key Vault Secrets User', secret: undefined },
    ]);
    const emulator = await spawnEmulator([
      '--port',
      '0',
      '--rbac',
      file,
      '--workspace-id',
      'ABCDEF01-2345-4678-9abc-def012345678',
    ]);
    const printed = emulator.line;
    // The query API at logsUrl wants a token, as Log Analytics does.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${printed['logsUrl']}/v1/workspaces/${printed['workspaceId']}/query`,
        {
          method: 'POST',
          ca: readFileSync(printed['caFile'] ?? ''),
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query: 'AZKVAuditLogs' }));
    });
    expect(status).toBe(401);
    expect(await emulator.stop()).toBe(0);
    expect(Object.keys(printed)).toEqual(['url', 'caFile', 'logsUrl', 'workspaceId']);
    expect(printed['logsUrl']).toBe(printed['url']);
    expect(printed['workspaceId']).toBe('abcdef01-2345-4678-9abc-def012345678');
  });
});
