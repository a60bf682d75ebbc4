import { DateTime } from 'luxon';
import { buildAuditQuery } from '../../src/audit-watch/kql';
import { LogAnalyticsAuditSource } from '../../src/audit-watch/log-analytics';
import { staticTokenCredential } from '../../src/vault';
import {
  startFakeLogsEndpoint,
  tablesAnswer,
  type FakeLogsEndpoint,
  type LogsAnswer,
} from '../support/fake-logs-endpoint';

const WORKSPACE = '5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const COLUMNS = [
  { name: 'TimeGenerated', type: 'datetime' },
  { name: 'OperationName', type: 'string' },
  { name: 'Id', type: 'string' },
  { name: 'RequestUri', type: 'string' },
  { name: 'CorrelationId', type: 'string' },
  { name: 'Identity', type: 'dynamic' },
  { name: 'CallerIpAddress', type: 'string' },
  { name: 'ClientInfo', type: 'string' },
];

describe("the Log Analytics adapter over Microsoft's LogsQueryClient", () => {
  let endpoint: FakeLogsEndpoint;
  let next: LogsAnswer;
  const from = DateTime.fromISO('2026-12-01T12:00:00Z', { zone: 'utc' });
  const query = buildAuditQuery({
    vaultUrls: ['https://kv.vault.azure.net'],
    from,
    to: from.plus({ minutes: 11 }),
    selfObjectIds: [],
    requestIdPrefix: 'a0707a70-',
    limit: 100,
  });
  const source = (): LogAnalyticsAuditSource =>
    new LogAnalyticsAuditSource({
      workspaceId: WORKSPACE,
      endpoint: endpoint.url,
      credential: staticTokenCredential('logs-token'),
      caPem: endpoint.caPem,
    });

  beforeAll(async () => {
    endpoint = await startFakeLogsEndpoint(() => next);
  });
  afterAll(async () => {
    await endpoint.close();
  });

  it('posts the query with its explicit timespan to /v1/workspaces/{id}/query and reads the rows by column', async () => {
    next = tablesAnswer(COLUMNS, [
      [
        '2026-12-01T12:01:02.1234567Z',
        'SecretGet',
        'https://kv.vault.azure.net/secrets/svc/abc',
        '',
        'req-1',
        '{"claim":{"oid":"o-1","upn":"eve@contoso.com"}}',
        '10.1.2.3',
        'curl/8',
      ],
    ]);
    const rows = await source().fetch(query);
    const sent = endpoint.requests.at(-1);
    expect(sent?.workspaceId).toBe(WORKSPACE);
    expect(sent?.authorization).toBe('Bearer logs-token');
    expect(sent?.body).toEqual({
      query: query.query,
      timespan: '2026-12-01T12:00:00.000Z/2026-12-01T12:11:00.000Z',
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      operation: 'SecretGet',
      correlationId: 'req-1',
      identity: { claim: { oid: 'o-1', upn: 'eve@contoso.com' } },
    });
    expect(rows[0]?.time?.toISO()).toBe('2026-12-01T12:01:02.123Z');
  });

  it('turns a partial answer into an error, never into "these are all the rows"', async () => {
    next = {
      status: 200,
      body: {
        tables: [{ name: 'PrimaryResult', columns: COLUMNS, rows: [] }],
        error: { code: 'PartialError', message: 'some shards did not answer' },
      },
    };
    await expect(source().fetch(query)).rejects.toMatchObject({ code: 'AUDIT_QUERY_FAILED' });
  });

  it('reports throttling with the Retry-After the service sent, and refusals and bad queries by their codes', async () => {
    next = {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'TooManyRequests', message: 'slow down' } },
    };
    await expect(source().fetch(query)).rejects.toMatchObject({
      code: 'AUDIT_THROTTLED',
      retryAfterMs: 1_000,
    });
    next = { status: 403, body: { error: { code: 'InsufficientAccessError', message: 'no' } } };
    await expect(source().fetch(query)).rejects.toMatchObject({ code: 'AUDIT_FORBIDDEN' });
    next = { status: 400, body: { error: { code: 'BadArgumentError', message: 'Failed to resolve table' } } };
    await expect(source().fetch(query)).rejects.toMatchObject({ code: 'AUDIT_QUERY_FAILED' });
  }, 30_000);

  it('reports an endpoint that does not answer as unreachable', async () => {
    const gone = new LogAnalyticsAuditSource({
      workspaceId: WORKSPACE,
      endpoint: 'https://127.0.0.1:1',
      credential: staticTokenCredential('logs-token'),
    });
    await expect(gone.fetch(query)).rejects.toMatchObject({ code: 'AUDIT_UNREACHABLE' });
  }, 30_000);
});
