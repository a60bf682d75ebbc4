import { readFileSync } from 'node:fs';
import { SecretClient } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { SignJWT, generateKeyPair } from 'jose';
import { createEmulatorClientOptions } from '../../src/emulator/client-options';
import { RequestLog } from '../../src/emulator/audit-log/request-log';
import type { Row } from '../../src/emulator/audit-log/schema';
import { rawRequest, startTestEmulator, type TestEmulator } from '../support/emulator';

let emu: TestEmulator;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

/** A JWT signed by a key nobody publishes: without --rbac the emulator must record it, not verify it. */
async function unverifiedJwt(claims: Record<string, string>): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer('https://login.microsoftonline.com/tenant/v2.0')
    .setAudience('https://vault.azure.net')
    .setExpirationTime('1h')
    .sign(privateKey);
}

function clientWith(token: string, seenRequestIds: string[]): SecretClient {
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
  const capture: PipelinePolicy = {
    name: 'capture-client-request-id',
    sendRequest: (req, next) => {
      seenRequestIds.push(req.headers.get('x-ms-client-request-id') ?? '');
      return next(req);
    },
  };
  return new SecretClient(
    emu.url,
    credential,
    createEmulatorClientOptions(readFileSync(emu.caFile, 'utf8'), {
      additionalPolicies: [{ policy: capture, position: 'perCall' }],
    }),
  );
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

const rowsFor = (op: string): Row[] => emu.requestLog.visible().filter((r) => r['OperationName'] === op);

describe('the emulator records who called it', () => {
  test('a JWT bearer token is decoded and its identity claims recorded with the request, signature unchecked', async () => {
    const token = await unverifiedJwt({
      oid: '11111111-1111-1111-1111-111111111111',
      upn: 'alice@contoso.example',
      appid: '22222222-2222-2222-2222-222222222222',
      tid: '33333333-3333-3333-3333-333333333333',
      name: 'Alice (not recorded)',
    });
    const ids: string[] = [];
    const client = clientWith(token, ids);
    await client.setSecret('identity-a', 'v1');
    await client.getSecret('identity-a');

    const get = rowsFor('SecretGet').find((r) => text(r['Id']).includes('/secrets/identity-a'));
    expect(get).toBeDefined();
    expect(get).toMatchObject({
      ResultSignature: 'OK',
      ResultType: 'Success',
      HttpStatusCode: 200,
      CallerIpAddress: '127.0.0.1',
      Id: `${emu.url}/secrets/identity-a`,
      Type: 'AZKVAuditLogs',
      TenantId: '33333333-3333-3333-3333-333333333333',
      Identity: {
        claim: {
          oid: '11111111-1111-1111-1111-111111111111',
          upn: 'alice@contoso.example',
          appid: '22222222-2222-2222-2222-222222222222',
          'http://schemas.microsoft.com/identity/claims/objectidentifier':
            '11111111-1111-1111-1111-111111111111',
        },
      },
    });
    expect(get?.['Identity']).not.toHaveProperty('claim.name');
    expect(ids).toContain(get?.['CorrelationId']);
    expect(text(get?.['ClientInfo'])).toMatch(/azsdk-js-keyvault-secrets/);
    expect(get?.['TimeGenerated']).toBeInstanceOf(Date);
  });

  test('v2 claims (preferred_username, azp) are recorded too', async () => {
    const token = await unverifiedJwt({
      oid: 'oid-v2',
      preferred_username: 'bob@contoso.example',
      azp: 'app-v2',
    });
    await clientWith(token, []).setSecret('identity-b', 'v1');
    // The SDK's first request carries no token (the challenge): the row that succeeded is the second.
    const set = rowsFor('SecretSet').find(
      (r) => text(r['Id']).includes('/secrets/identity-b') && r['HttpStatusCode'] === 200,
    );
    expect(set?.['Identity']).toEqual({
      claim: {
        oid: 'oid-v2',
        'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-v2',
        preferred_username: 'bob@contoso.example',
        azp: 'app-v2',
      },
    });
  });

  test('opaque tokens (ROTATOR_VAULT_TOKEN) keep working and record no claims', async () => {
    const client = emu.client();
    await client.setSecret('identity-c', 'v1');
    expect((await client.getSecret('identity-c')).value).toBe('v1');
    const get = rowsFor('SecretGet').find((r) => text(r['Id']).includes('/secrets/identity-c'));
    expect(get?.['Identity']).toEqual({ claim: {} });
  });

  test('refused and failed requests are logged with their status: 401 challenge, 404', async () => {
    await rawRequest(emu, { method: 'GET', path: '/secrets/identity-missing?api-version=7.5' });
    await rawRequest(emu, {
      method: 'GET',
      path: '/secrets/identity-missing?api-version=7.5',
      headers: { authorization: 'Bearer x', 'x-ms-client-request-id': 'corr-404' },
    });
    const rows = rowsFor('SecretGet').filter((r) => text(r['Id']).endsWith('/identity-missing'));
    expect(rows.map((r) => r['ResultSignature'])).toEqual(['Unauthorized', 'NotFound']);
    expect(rows[1]).toMatchObject({ HttpStatusCode: 404, ResultType: 'Failure', CorrelationId: 'corr-404' });
  });

  test('the admin and query endpoints never appear in the vault log', async () => {
    const before = emu.requestLog.all().length;
    await rawRequest(emu, { method: 'GET', path: '/_emulator/counters' });
    await rawRequest(emu, { method: 'GET', path: '/_emulator/audit-rows' });
    expect(emu.requestLog.all().length).toBe(before);
  });
});

describe('the request log', () => {
  const row = (n: number): Row => ({ OperationName: `op-${n}` });

  test('is bounded: the oldest rows fall off first', () => {
    const log = new RequestLog(3);
    for (let i = 1; i <= 5; i += 1) log.append(row(i));
    expect(log.visible().map((r) => r['OperationName'])).toEqual(['op-3', 'op-4', 'op-5']);
  });

  test('shows rows only after the ingestion delay', () => {
    let now = 1_000;
    const log = new RequestLog(10, 30_000, () => now);
    log.append(row(1));
    log.append(row(2), 0);
    expect(log.visible().map((r) => r['OperationName'])).toEqual(['op-2']);
    now += 30_000;
    expect(log.visible().map((r) => r['OperationName'])).toEqual(['op-1', 'op-2']);
  });
});
