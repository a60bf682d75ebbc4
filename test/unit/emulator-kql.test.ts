import { AUDIT_COLUMNS, INGESTION_TIME, type Row } from '../../src/emulator/audit-log/schema';
import { KqlError } from '../../src/emulator/logs-query/kql-error';
import { parseQuery } from '../../src/emulator/logs-query/kql-parser';
import { runQuery } from '../../src/emulator/logs-query/kql-run';
import { Timespan } from '../../src/emulator/logs-query/kql-values';
import { parseTimespan } from '../../src/emulator/logs-query/timespan';
import { kustoErrors } from '../support/kusto-parser';

const NOW = new Date('2026-12-01T12:00:00Z');
const at = (minutesAgo: number): Date => new Date(NOW.getTime() - minutesAgo * 60_000);

function row(r: Partial<Row>): Row {
  return {
    TimeGenerated: at(0),
    OperationName: 'SecretGet',
    ResultSignature: 'OK',
    HttpStatusCode: 200,
    CorrelationId: '',
    Id: '',
    Identity: { claim: {} },
    ...r,
  };
}

const ROWS: Row[] = [
  row({
    TimeGenerated: at(90),
    CorrelationId: 'c1',
    Id: 'https://v/secrets/db-password/abc',
    Identity: { claim: { oid: 'o1', upn: 'Alice@Contoso.example' } },
  }),
  row({
    TimeGenerated: at(30),
    CorrelationId: 'c2',
    Id: 'https://v/secrets/db-password',
    Identity: { claim: { oid: 'o2', appid: 'a2' } },
  }),
  row({
    TimeGenerated: at(10),
    CorrelationId: 'c3',
    OperationName: 'SecretSet',
    Id: 'https://v/secrets/api-key',
    Identity: { claim: { oid: 'o1' } },
  }),
  row({
    TimeGenerated: at(5),
    CorrelationId: 'c4',
    ResultSignature: 'Forbidden',
    HttpStatusCode: 403,
    Id: 'https://v/secrets/api-key',
  }),
];

function run(kql: string): Array<Record<string, unknown>> {
  const t = runQuery(parseQuery(kql), { columns: [...AUDIT_COLUMNS], rows: ROWS }, NOW);
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c.name, r[i]])));
}

const ids = (kql: string): unknown[] => run(kql).map((r) => r['CorrelationId']);

describe("the emulator evaluates a subset of KQL (each query below is also valid for Microsoft's Kusto parser)", () => {
  test.each([
    ['AZKVAuditLogs', ['c1', 'c2', 'c3', 'c4']],
    ['AZKVAuditLogs | where OperationName == "SecretGet" and ResultSignature == "OK"', ['c1', 'c2']],
    ["AZKVAuditLogs | where OperationName == 'SecretSet' or HttpStatusCode >= 400", ['c3', 'c4']],
    ['AZKVAuditLogs | where not(OperationName == "SecretGet")', ['c3']],
    [
      'AZKVAuditLogs | where (HttpStatusCode == 200 and OperationName != "SecretSet") or CorrelationId == "c4"',
      ['c1', 'c2', 'c4'],
    ],
    ['AZKVAuditLogs | where Identity.claim.oid == "o1"', ['c1', 'c3']],
    ["AZKVAuditLogs | where Identity['claim']['oid'] != 'o1'", ['c2']],
    ['AZKVAuditLogs | where tostring(Identity.claim.upn) =~ "alice@contoso.example"', ['c1']],
    ['AZKVAuditLogs | where isempty(Identity.claim.oid)', ['c4']],
    ['AZKVAuditLogs | where isnotempty(Identity.claim.appid)', ['c2']],
    ['AZKVAuditLogs | where CorrelationId in ("c1", "c4")', ['c1', 'c4']],
    ['AZKVAuditLogs | where CorrelationId !in ("c1", "c4")', ['c2', 'c3']],
    ['AZKVAuditLogs | where Id has "db-password"', ['c1', 'c2']],
    ['AZKVAuditLogs | where Id has "password"', ['c1', 'c2']],
    ['AZKVAuditLogs | where Id has "passw"', []],
    ['AZKVAuditLogs | where Id contains "PASSW"', ['c1', 'c2']],
    ['AZKVAuditLogs | where Id startswith "https://v/secrets/api"', ['c3', 'c4']],
    ['AZKVAuditLogs | where TimeGenerated > ago(15m)', ['c3', 'c4']],
    ['AZKVAuditLogs | where TimeGenerated >= now() - 1h', ['c2', 'c3', 'c4']],
    ['AZKVAuditLogs | where TimeGenerated < datetime(2026-12-01T11:00:00Z)', ['c1']],
    [
      'AZKVAuditLogs | where TimeGenerated between (datetime(2026-12-01 10:00) .. datetime(2026-12-01 11:55))',
      null,
    ],
    [
      'AZKVAuditLogs | where TimeGenerated > datetime(2026-12-01 10:00) and TimeGenerated < datetime(2026-12-01 11:55)',
      ['c1', 'c2', 'c3'],
    ],
    ['AZKVAuditLogs | order by TimeGenerated desc | take 2', ['c4', 'c3']],
    ['AZKVAuditLogs | sort by CorrelationId asc | limit 3', ['c1', 'c2', 'c3']],
    ['AZKVAuditLogs | top 1 by TimeGenerated asc', ['c1']],
    ['AZKVAuditLogs | extend Oid = tostring(Identity.claim.oid) | where Oid == "o2"', ['c2']],
  ])('%s', (kql, expected) => {
    if (expected === null) {
      // Outside the subset (valid KQL nonetheless): refused, never answered with every row.
      expect(() => run(kql)).toThrow(KqlError);
      return;
    }
    expect(kustoErrors(kql)).toEqual([]);
    expect(ids(kql)).toEqual(expected);
  });

  test('project renames and computes; project-away drops; distinct and summarize group', () => {
    const kql =
      'AZKVAuditLogs | where HttpStatusCode == 200 | project When = TimeGenerated, Who = Identity.claim.oid, CorrelationId | project-away When';
    expect(kustoErrors(kql)).toEqual([]);
    expect(run(kql)).toEqual([
      { Who: 'o1', CorrelationId: 'c1' },
      { Who: 'o2', CorrelationId: 'c2' },
      { Who: 'o1', CorrelationId: 'c3' },
    ]);
    const d = 'AZKVAuditLogs | distinct OperationName';
    expect(kustoErrors(d)).toEqual([]);
    expect(run(d)).toEqual([{ OperationName: 'SecretGet' }, { OperationName: 'SecretSet' }]);
    const s =
      'AZKVAuditLogs | summarize n = count(), Last = max(TimeGenerated) by OperationName | order by n desc';
    expect(kustoErrors(s)).toEqual([]);
    expect(run(s)).toEqual([
      { OperationName: 'SecretGet', n: 3, Last: at(5) },
      { OperationName: 'SecretSet', n: 1, Last: at(10) },
    ]);
    expect(run('AZKVAuditLogs | where OperationName == "none" | summarize count()')).toEqual([{ count_: 0 }]);
    expect(
      run('AZKVAuditLogs | extend Age = now() - TimeGenerated | where CorrelationId == "c4" | project Age'),
    ).toEqual([{ Age: new Timespan(5 * 60_000) }]);
  });

  test.each([
    ['OtherTable', 'SemanticError'],
    ['AZKVAuditLogs | where Missing == 1', 'SemanticError'],
    ['AZKVAuditLogs | where parse_json(Id) == 1', 'SemanticError'],
    ['AZKVAuditLogs | where not(1, 2)', 'SemanticError'],
    ['AZKVAuditLogs | mv-expand Identity', 'SyntaxError'],
    ['AZKVAuditLogs | where', 'SyntaxError'],
    ['AZKVAuditLogs | take x', 'SyntaxError'],
    ['AZKVAuditLogs | where Id == "a" extra', 'SyntaxError'],
    ['AZKVAuditLogs | summarize percentile(DurationMs, 50)', 'SyntaxError'],
    ['AZKVAuditLogs | where Id == @"unterminated', 'SyntaxError'],
    ['AZKVAuditLogs | where Id ~~ "a"', 'SyntaxError'],
    ['union AZKVAuditLogs, AZKVAuditLogs', 'SyntaxError'],
  ])('%s is refused (%s)', (kql, kind) => {
    let error: unknown;
    try {
      const parsed = parseQuery(kql);
      if (parsed.table !== 'AZKVAuditLogs') throw new KqlError('SemanticError', 'unknown table');
      runQuery(parsed, { columns: [...AUDIT_COLUMNS], rows: ROWS }, NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KqlError);
    expect((error as KqlError).kind).toBe(kind);
  });

  test('ingestion_time() is when a row became queryable, gone once project drops the row', () => {
    const rows = ROWS.map((r, i) => ({
      ...r,
      [INGESTION_TIME]: new Date((r['TimeGenerated'] as Date).getTime() + i * 60_000),
    }));
    const kql = 'AZKVAuditLogs | where ingestion_time() - TimeGenerated > 1m | project CorrelationId';
    expect(kustoErrors(kql)).toEqual([]);
    const t = runQuery(parseQuery(kql), { columns: [...AUDIT_COLUMNS], rows }, NOW);
    expect(t.rows).toEqual([['c3'], ['c4']]);
    const after = runQuery(
      parseQuery('AZKVAuditLogs | project CorrelationId | extend I = ingestion_time()'),
      { columns: [...AUDIT_COLUMNS], rows },
      NOW,
    );
    expect(after.rows[0]).toEqual(['c1', null]);
  });

  test('a query timespan is an ISO-8601 duration ending now, or an interval', () => {
    expect(parseTimespan('PT1H', NOW)).toEqual({ start: NOW.getTime() - 3600_000, end: NOW.getTime() });
    expect(parseTimespan('2026-12-01T10:00:00Z/2026-12-01T11:00:00Z', NOW)).toEqual({
      start: Date.parse('2026-12-01T10:00:00Z'),
      end: Date.parse('2026-12-01T11:00:00Z'),
    });
    expect(parseTimespan('2026-12-01T10:00:00Z/PT30M', NOW).end).toBe(Date.parse('2026-12-01T10:30:00Z'));
    expect(() => parseTimespan('yesterday', NOW)).toThrow(KqlError);
  });
});
