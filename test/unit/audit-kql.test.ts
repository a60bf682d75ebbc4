import { DateTime } from 'luxon';
import { buildAuditQuery, kqlString, VALUE_READ_OPERATIONS } from '../../src/audit-watch/kql';
import { ROTATOR_REQUEST_ID_PREFIX } from '../../src/vault';
import { AZKV_AUDIT_LOGS_SCHEMA } from '../support/azkv-schema';
import { kustoErrorsIn } from '../support/kusto-parser';

/** Kusto's errors for a query against AZKVAuditLogs with every column of Microsoft's reference. */
const kustoDiagnostics = (q: string): string[] =>
  kustoErrorsIn(q, 'azkv-reference', { AZKVAuditLogs: AZKV_AUDIT_LOGS_SCHEMA });

const from = DateTime.fromISO('2026-12-01T10:00:00.123Z', { zone: 'utc' });
const to = from.plus({ minutes: 11 });

function query(overrides: Partial<Parameters<typeof buildAuditQuery>[0]> = {}): string {
  return buildAuditQuery({
    vaultUrls: ['https://kv-one.vault.azure.net', 'https://kv-two.vault.azure.net'],
    from,
    to,
    selfObjectIds: ['0b9e4a44-5a3e-4a55-9c44-7a1d2b3c4d5e'],
    requestIdPrefix: ROTATOR_REQUEST_ID_PREFIX,
    limit: 5000,
    ...overrides,
  }).query;
}

describe("the daemon's KQL", () => {
  it("parses without a diagnostic against AZKVAuditLogs' schema with Microsoft's Kusto parser", () => {
    expect(kustoDiagnostics(query())).toEqual([]);
    expect(kustoDiagnostics(query({ selfObjectIds: [] }))).toEqual([]);
    expect(kustoDiagnostics(query({ vaultUrls: ['https://127.0.0.1:8443'], limit: 1 }))).toEqual([]);
  });

  it('is checked for real: a misspelt column or a bad operator is reported by the parser', () => {
    expect(kustoDiagnostics(query().replace('CorrelationId', 'CorelationId'))).not.toEqual([]);
    expect(kustoDiagnostics(query().replace('| take', '| tak'))).not.toEqual([]);
  });

  it('asks only for successful value-returning operations of the configured vaults, oldest first, bounded', () => {
    const q = query();
    expect(q.split('\n')[0]).toBe('AZKVAuditLogs');
    for (const op of VALUE_READ_OPERATIONS) expect(q).toContain(`"${op}"`);
    expect(q).toContain('HttpStatusCode >= 200 and HttpStatusCode < 300');
    expect(q).toContain('Id startswith "https://kv-one.vault.azure.net/"');
    expect(q).toContain('RequestUri startswith "https://kv-two.vault.azure.net/"');
    expect(q).toContain('TimeGenerated >= datetime(2026-12-01T10:00:00.123Z)');
    expect(q).toContain('TimeGenerated <= datetime(2026-12-01T10:11:00.123Z)');
    expect(q).toMatch(/\| order by TimeGenerated asc\n\| take 5000$/);
  });

  it("leaves out only reads that carry both the rotator's request-id mark and its identity", () => {
    expect(query()).toContain(
      `| where not(CorrelationId startswith "${ROTATOR_REQUEST_ID_PREFIX}" and tostring(Identity.claim.oid) in ("0b9e4a44-5a3e-4a55-9c44-7a1d2b3c4d5e"))`,
    );
    expect(query({ selfObjectIds: [] })).not.toContain('| where not(');
  });

  it('sends the same range as the explicit timespan of the request', () => {
    const built = buildAuditQuery({
      vaultUrls: ['https://kv.vault.azure.net'],
      from,
      to,
      selfObjectIds: [],
      requestIdPrefix: ROTATOR_REQUEST_ID_PREFIX,
      limit: 10,
    });
    expect(built.timespan).toEqual({ startTime: from.toJSDate(), endTime: to.toJSDate() });
  });

  it('escapes literals so a value can never end the string, and refuses control characters', () => {
    expect(kqlString('a"b\\c')).toBe('"a\\"b\\\\c"');
    const hostile = query({ selfObjectIds: ['x") or true or ("'] });
    expect(kustoDiagnostics(hostile)).toEqual([]);
    expect(hostile).toContain('in ("x\\") or true or (\\"")');
    expect(() => kqlString('line\nbreak')).toThrow(/control characters/);
  });

  it('refuses to build a query without a vault or with a bad limit', () => {
    expect(() => query({ vaultUrls: [] })).toThrow(/at least one vault/);
    expect(() => query({ limit: 0 })).toThrow(/positive limit/);
  });
});
