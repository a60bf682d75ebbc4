import { Agent } from 'node:https';
import { RestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { SecretClient } from '@azure/keyvault-secrets';
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import { SignJWT, generateKeyPair } from 'jose';
import { createEmulatorClientOptions } from '../../src/emulator/client-options';
import { authed, rawRequest, startTestEmulator, type TestEmulator } from '../support/emulator';

const OID = '5e1f0000-0000-4000-8000-00000000beef';
let emu: TestEmulator;
let logs: LogsQueryClient;
const requestIds: string[] = [];

const logsCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'logs-reader', expiresOnTimestamp: Date.now() + 3600_000 }),
};

async function jwt(claims: Record<string, string>): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(privateKey);
}

function secretClient(token: string): SecretClient {
  const capture: PipelinePolicy = {
    name: 'capture-client-request-id',
    sendRequest: (req, next) => {
      requestIds.push(req.headers.get('x-ms-client-request-id') ?? '');
      return next(req);
    },
  };
  return new SecretClient(
    emu.url,
    { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }) },
    createEmulatorClientOptions(emu.caPem, {
      additionalPolicies: [{ policy: capture, position: 'perCall' }],
    }),
  );
}

async function query(kql: string, duration = 'PT1H'): Promise<LogsTable> {
  const result = await logs.queryWorkspace(emu.workspaceId, kql, { duration });
  if (result.status !== LogsQueryResultStatus.Success) throw new Error(`query ${kql} was not a full success`);
  const table = result.tables[0];
  if (table === undefined) throw new Error('no table');
  return table;
}

/** Rows as objects keyed by column name, for readable assertions. */
function objects(t: LogsTable): Array<Record<string, unknown>> {
  return t.rows.map((r) => Object.fromEntries(t.columnDescriptors.map((c, i) => [c.name ?? '', r[i]])));
}

async function queryError(kql: string): Promise<RestError> {
  try {
    await logs.queryWorkspace(emu.workspaceId, kql, { duration: 'PT1H' });
  } catch (e) {
    if (e instanceof RestError) return e;
    throw e;
  }
  throw new Error(`expected ${kql} to be refused`);
}

beforeAll(async () => {
  emu = await startTestEmulator();
  // The SDK takes `endpoint` as its base URL verbatim, so the API version goes into it.
  logs = new LogsQueryClient(logsCredential, {
    endpoint: `${emu.logsUrl}/v1`,
    agent: new Agent({ ca: emu.caPem }),
    retryOptions: { maxRetries: 0 },
  });
  const alice = secretClient(await jwt({ oid: OID, upn: 'alice@contoso.example', appid: 'app-alice' }));
  await alice.setSecret('logs-a', 'value-a');
  await alice.getSecret('logs-a');
  const bob = secretClient(
    await jwt({ oid: 'bob-oid', preferred_username: 'bob@contoso.example', azp: 'app-bob' }),
  );
  await bob.getSecret('logs-a');
  await bob.setSecret('logs-b', 'value-b');
});
afterAll(() => emu.close());

describe('the emulator as Log Analytics, read by the real LogsQueryClient', () => {
  test('finds SecretGet rows with the identity claims and the correlation id of the read', async () => {
    const t = await query(`AZKVAuditLogs
      | where OperationName == "SecretGet" and ResultSignature == "OK"
      | where Identity.claim.oid == '${OID}'
      | project TimeGenerated, OperationName, Id, CorrelationId, Identity, CallerIpAddress, HttpStatusCode, _ResourceId
      | order by TimeGenerated asc`);
    expect(t.name).toBe('PrimaryResult');
    expect(t.columnDescriptors.map((c) => [c.name, c.type])).toEqual([
      ['TimeGenerated', 'datetime'],
      ['OperationName', 'string'],
      ['Id', 'string'],
      ['CorrelationId', 'string'],
      ['Identity', 'dynamic'],
      ['CallerIpAddress', 'string'],
      ['HttpStatusCode', 'int'],
      ['_ResourceId', 'string'],
    ]);
    const rows = objects(t);
    expect(rows).toHaveLength(1);
    const row = rows[0] ?? {};
    expect(row['TimeGenerated']).toBeInstanceOf(Date);
    expect(Date.now() - (row['TimeGenerated'] as Date).getTime()).toBeLessThan(60_000);
    expect(row['Identity']).toMatchObject({
      claim: { oid: OID, upn: 'alice@contoso.example', appid: 'app-alice' },
    });
    expect(requestIds).toContain(row['CorrelationId']);
    expect(row).toMatchObject({
      Id: `${emu.url}/secrets/logs-a`,
      CallerIpAddress: '127.0.0.1',
      HttpStatusCode: 200,
    });
    expect(row['_ResourceId']).toMatch(
      /^\/subscriptions\/.*\/providers\/microsoft\.keyvault\/vaults\/emulator-\d+$/,
    );
  });

  test('evaluates the operators it is sent: bracket access, in, !in, has, startswith, isnotempty, ago, take', async () => {
    const byBracket = await query(
      `AZKVAuditLogs | where Identity['claim']['oid'] in ('${OID}', 'bob-oid') and OperationName =~ 'secretget' and HttpStatusCode == 200 | project Who = tostring(Identity.claim.oid)`,
    );
    expect(
      objects(byBracket)
        .map((r) => r['Who'])
        .sort(),
    ).toEqual(['5e1f0000-0000-4000-8000-00000000beef', 'bob-oid']);

    const notIn = await query(`AZKVAuditLogs | where OperationName !in ("SecretGet", "SecretSet") | count`);
    expect(objects(notIn)).toEqual([{ Count: 0 }]);

    const has = await query(
      `AZKVAuditLogs | where Id has "logs-b" and RequestUri startswith "https://" and isnotempty(Identity.claim.azp) and TimeGenerated > ago(5m) and TimeGenerated <= now() | take 1 | project OperationName, Identity.claim.azp`,
    );
    expect(objects(has)).toEqual([{ OperationName: 'SecretSet', Identity_claim_azp: 'app-bob' }]);

    const summary = await query(
      `AZKVAuditLogs | where ResultSignature == "OK" | summarize Reads = count() by OperationName | order by OperationName asc`,
    );
    expect(objects(summary)).toEqual([
      { OperationName: 'SecretGet', Reads: 2 },
      { OperationName: 'SecretSet', Reads: 2 },
    ]);
    expect(summary.columnDescriptors.map((c) => c.type)).toEqual(['string', 'long']);
  });

  test('the timespan of the request filters TimeGenerated; injected rows keep the time they were given', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString();
    const injected = await rawRequest(emu, {
      method: 'POST',
      path: '/_emulator/audit-rows',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          TimeGenerated: twoHoursAgo,
          OperationName: 'SecretGet',
          Id: `${emu.url}/secrets/late-one`,
          CorrelationId: 'late-row-1',
          Identity: { claim: { oid: 'late-reader' } },
        },
      ]),
    });
    expect(injected.status).toBe(201);
    const kql = `AZKVAuditLogs | where CorrelationId == "late-row-1" | project TimeGenerated, Identity.claim.oid`;
    expect((await query(kql, 'PT1H')).rows).toHaveLength(0);
    const late = objects(await query(kql, 'PT3H'));
    expect(late).toEqual([{ TimeGenerated: new Date(twoHoursAgo), Identity_claim_oid: 'late-reader' }]);
  });

  test('rows appear only after the configured ingestion delay', async () => {
    const set = await rawRequest(emu, {
      method: 'PUT',
      path: '/_emulator/audit-settings',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ingestionDelayMs: 1500 }),
    });
    expect(set.json).toEqual({ ingestionDelayMs: 1500 });
    try {
      await rawRequest(emu, {
        method: 'GET',
        path: '/secrets/logs-a?api-version=7.5',
        headers: authed({ 'x-ms-client-request-id': 'delayed-1' }),
      });
      const kql = `AZKVAuditLogs | where CorrelationId == "delayed-1"`;
      expect((await query(kql)).rows).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 1600));
      expect((await query(kql)).rows).toHaveLength(1);
      // ingestion_time() tells when the row became queryable: a watcher's watermark can follow it.
      const lag = objects(
        await query(
          `${kql} | extend Ingested = ingestion_time() | where Ingested - TimeGenerated >= 1500ms | project Ingested, Lag = Ingested - TimeGenerated`,
        ),
      );
      expect(lag).toHaveLength(1);
      expect(lag[0]?.['Ingested']).toBeInstanceOf(Date);
      expect(lag[0]?.['Lag']).toMatch(/^00:00:0[1-9]\.\d+$/);
    } finally {
      await rawRequest(emu, {
        method: 'PUT',
        path: '/_emulator/audit-settings',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ingestionDelayMs: 0 }),
      });
    }
  });

  test('a batch of queries is answered too', async () => {
    const results = await logs.queryBatch([
      {
        workspaceId: emu.workspaceId,
        query: 'AZKVAuditLogs | where OperationName == "SecretSet" | count',
        timespan: { duration: 'PT1H' },
      },
      { workspaceId: emu.workspaceId, query: 'AZKVAuditLogs | where', timespan: { duration: 'PT1H' } },
    ]);
    const first = results[0];
    expect(first?.status).toBe(LogsQueryResultStatus.Success);
    expect(first && 'tables' in first ? first.tables[0]?.rows : undefined).toEqual([[expect.any(Number)]]);
    expect(results[1]?.status).not.toBe(LogsQueryResultStatus.Success);
  });

  test.each([
    ['another table', 'SigninLogs | take 10', 'SemanticError'],
    ['an unknown column', 'AZKVAuditLogs | where NoSuchColumn == "x"', 'SemanticError'],
    ['an unknown function', 'AZKVAuditLogs | where parse_json(Id) == "x"', 'SemanticError'],
    ['an unsupported operator', 'AZKVAuditLogs | join (AZKVAuditLogs) on CorrelationId', 'SyntaxError'],
    ['a let statement', 'let x = 1; AZKVAuditLogs', 'SyntaxError'],
    ['a dangling pipe', 'AZKVAuditLogs |', 'SyntaxError'],
    ['an unterminated string', 'AZKVAuditLogs | where Id == "abc', 'SyntaxError'],
    ['a bad datetime', 'AZKVAuditLogs | where TimeGenerated > datetime(yesterday)', 'SyntaxError'],
  ])('%s is refused with 400 BadArgumentError (%s), never with rows', async (_what, kql, kind) => {
    const e = await queryError(kql);
    expect(e.statusCode).toBe(400);
    const details = (
      e as RestError & { details?: { error?: { code?: string; innererror?: { code?: string } } } }
    ).details;
    expect(details?.error?.code).toBe('BadArgumentError');
    expect(details?.error?.innererror?.code).toBe(kind);
  });

  test('the query API wants a bearer token and the right workspace', async () => {
    const noToken = await rawRequest(emu, {
      method: 'POST',
      path: `/v1/workspaces/${emu.workspaceId}/query`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'AZKVAuditLogs' }),
    });
    expect(noToken.status).toBe(401);
    expect(noToken.json).toMatchObject({ error: { code: 'AuthorizationRequiredError' } });
    expect(noToken.text).not.toContain('logs-a');
    const other = await rawRequest(emu, {
      method: 'POST',
      path: '/v1/workspaces/11111111-1111-4111-8111-111111111111/query',
      headers: authed({ 'content-type': 'application/json' }),
      body: JSON.stringify({ query: 'AZKVAuditLogs' }),
    });
    expect(other.status).toBe(404);
    expect(other.json).toMatchObject({ error: { code: 'WorkspaceNotFoundError' } });
    const notJson = await rawRequest(emu, {
      method: 'POST',
      path: `/v1/workspaces/${emu.workspaceId}/query`,
      headers: authed({ 'content-type': 'application/json' }),
      body: '{"query": ',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ error: { code: 'BadArgumentError' } });
  });

  test('bad injected rows are refused and add nothing', async () => {
    const before = emu.requestLog.all().length;
    for (const body of [
      [{ OperationName: 'SecretGet' }],
      [{ TimeGenerated: 'not a time' }],
      [{ TimeGenerated: new Date().toISOString(), NotAColumn: 1 }],
      [{ TimeGenerated: new Date().toISOString(), HttpStatusCode: '200' }],
    ]) {
      const res = await rawRequest(emu, {
        method: 'POST',
        path: '/_emulator/audit-rows',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
    }
    expect(emu.requestLog.all().length).toBe(before);
  });
});
