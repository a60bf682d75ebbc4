import { DateTime } from 'luxon';
import { rowsFromTable } from '../../src/audit-watch/audit-row';
import {
  describeActor,
  judge,
  locate,
  parseReaders,
  type LocatedRead,
  type SecretFacts,
} from '../../src/audit-watch/read-decision';
import { isRotatorRequestId, rotatorRequestId } from '../../src/vault';
import { auditRow } from '../support/audit-fakes';

const VAULT = 'https://kv-main.vault.azure.net';
const at = DateTime.fromISO('2026-12-01T12:00:00Z', { zone: 'utc' });
const managed = (readers: string[] = []): SecretFacts => ({ exists: true, managed: true, readers });
const nobody = { objectIds: [], appIds: [] };

function read(identity: unknown, overrides: Partial<Parameters<typeof auditRow>[0]> = {}): LocatedRead {
  const located = locate(auditRow({ time: at, id: `${VAULT}/secrets/svc/1`, identity, ...overrides }), [
    VAULT,
  ]);
  if (located.kind !== 'read') throw new Error(`not located: ${located.why}`);
  return located.read;
}

describe('judging one audit row', () => {
  it('locates the vault and secret from Id or RequestUri, case-insensitively, including deleted-secret reads', () => {
    expect(read({}).secret).toBe('svc');
    const viaUri = locate(
      auditRow({ time: at, requestUri: 'HTTPS://KV-MAIN.vault.azure.net/secrets/Svc-Two/?api-version=7.5' }),
      [VAULT],
    );
    expect(viaUri).toMatchObject({ kind: 'read', read: { vaultUrl: VAULT, secret: 'Svc-Two' } });
    expect(locate(auditRow({ time: at, id: `${VAULT}/deletedsecrets/old` }), [VAULT])).toMatchObject({
      kind: 'read',
      read: { secret: 'old' },
    });
    expect(
      locate(auditRow({ time: at, id: 'https://kv-other.vault.azure.net/secrets/svc/1' }), [VAULT]),
    ).toEqual({
      kind: 'ignored',
      why: 'other-vault',
    });
    expect(locate(auditRow({ time: at, id: `${VAULT}/keys/k/1` }), [VAULT])).toEqual({
      kind: 'ignored',
      why: 'not-a-secret',
    });
    expect(
      locate({ ...auditRow({ time: at, id: `${VAULT}/secrets/svc` }), time: undefined }, [VAULT]),
    ).toEqual({
      kind: 'ignored',
      why: 'no-time',
    });
  });

  it('reads the actor from short or long claim names', () => {
    const long = read({
      claim: {
        'http://schemas.microsoft.com/identity/claims/objectidentifier':
          'AAAAAAAA-0000-4000-8000-000000000001',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'bob@contoso.com',
      },
    });
    expect(long.actor).toMatchObject({
      objectId: 'aaaaaaaa-0000-4000-8000-000000000001',
      name: 'bob@contoso.com',
    });
    expect(describeActor(long.actor)).toBe('bob@contoso.com (oid aaaaaaaa-0000-4000-8000-000000000001)');
    expect(describeActor(read('not an object').actor)).toMatch(/^unknown/);
  });

  it('makes a listed object id routine, and an application id only in an app-only token', () => {
    const app = 'bbbbbbbb-0000-4000-8000-000000000002';
    const workload = read({ claim: { oid: 'cccccccc-0000-4000-8000-000000000003', appid: app } });
    expect(judge(workload, managed([app]), nobody, isRotatorRequestId)).toEqual({
      kind: 'routine',
      why: 'reader',
    });
    // A person running the listed application (Azure CLI, say) is not that workload.
    const person = read({
      claim: { oid: 'dddddddd-0000-4000-8000-000000000004', appid: app, upn: 'eve@contoso.com' },
    });
    expect(judge(person, managed([app]), nobody, isRotatorRequestId).kind).toBe('use');
    expect(parseReaders(' A , b,,C ')).toEqual(['a', 'b', 'c']);
  });

  it("trusts the rotator's request-id mark alone only while the rotator does not know its own identity", () => {
    const marked = read(
      { claim: { oid: 'eeeeeeee-0000-4000-8000-000000000005' } },
      { correlationId: rotatorRequestId() },
    );
    expect(judge(marked, managed(), nobody, isRotatorRequestId)).toEqual({ kind: 'routine', why: 'rotator' });
    const self = { objectIds: ['ffffffff-0000-4000-8000-000000000006'], appIds: [] };
    expect(judge(marked, managed(), self, isRotatorRequestId).kind).toBe('use');
  });

  it('ignores reads of secrets that do not exist or are not managed', () => {
    const r = read({ claim: { oid: 'x' } });
    expect(judge(r, { exists: false, managed: false, readers: [] }, nobody, isRotatorRequestId)).toEqual({
      kind: 'ignored',
      why: 'unknown-secret',
    });
    expect(judge(r, { exists: true, managed: false, readers: [] }, nobody, isRotatorRequestId)).toEqual({
      kind: 'ignored',
      why: 'unmanaged',
    });
  });

  it('turns a Log Analytics table into rows by column name, with dynamic columns as JSON text or parsed', () => {
    const rows = rowsFromTable({
      columnDescriptors: [{ name: 'Identity' }, { name: 'TimeGenerated' }, { name: 'Id' }, { name: 'Extra' }],
      rows: [
        ['{"claim":{"oid":"o1"}}', '2026-12-01T12:00:00.1234567Z', 'https://x/secrets/a', 1],
        [{ claim: { oid: 'o2' } }, new Date('2026-12-01T12:00:01Z'), null, 2],
        ['not json', 'not a time', 42, 3],
      ],
    });
    expect(rows[0]).toMatchObject({ id: 'https://x/secrets/a', identity: { claim: { oid: 'o1' } } });
    expect(rows[0]?.time?.toISO()).toBe('2026-12-01T12:00:00.123Z');
    expect(rows[1]).toMatchObject({ id: '', identity: { claim: { oid: 'o2' } }, operation: '' });
    expect(rows[2]).toMatchObject({ time: undefined, identity: undefined, id: '42' });
  });
});
