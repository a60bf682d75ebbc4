import { ManualClock } from '../../src/clock/clock';
import { AccessService, type UsageToRecord } from '../../src/access/access-service';
import { recordThenRead } from '../../src/access/release-value';
import type { AccessEvent } from '../../src/access/access-events';
import { ROLE, type Identity } from '../../src/access/identity';
import { isRefusal, type Refusal } from '../../src/access/refusal';
import type { SecretStore, SecretWithValue } from '../../src/vault/secret-store';
import { MemoryAccessStore } from '../support/memory-access-store';

const bob: Identity = { id: 'oid-bob', name: 'bob@contoso.example', kind: 'user', roles: [ROLE.checkout] };
const carol: Identity = {
  id: 'oid-carol',
  name: 'carol@contoso.example',
  kind: 'user',
  roles: [ROLE.approve],
};
const VAULT = 'https://vault.example';

/** One secret in memory; a checkout's reads and the tag written by the recorder are visible. */
function fakeVault(tags: Record<string, string>): SecretStore & { secret: SecretWithValue } {
  const secret: SecretWithValue = {
    vaultUrl: VAULT,
    name: 'svc-a',
    version: 'v1',
    enabled: true,
    tags,
    contentType: undefined,
    createdOn: undefined,
    updatedOn: undefined,
    value: 'the-value',
  };
  const fail = (): never => {
    throw new Error('not used');
  };
  return {
    vaultUrl: VAULT,
    secret,
    get: (name) => Promise.resolve(name.toLowerCase() === 'svc-a' ? { ...secret } : undefined),
    set: fail,
    updateProperties: fail,
    list: fail,
    listVersions: fail,
    ping: () => Promise.resolve(),
  };
}

function setup(
  tags: Record<string, string> = { 'rotation-target': 'keyvault', 'rotation-approval': 'required' },
) {
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  const store = new MemoryAccessStore();
  const vault = fakeVault(tags);
  const usages: UsageToRecord[] = [];
  const events: AccessEvent[] = [];
  let n = 0;
  const service = new AccessService({
    store,
    vaults: [vault],
    recordUsage: (usage) => {
      usages.push(usage);
      return Promise.resolve({ forcedAt: '2026-12-01T10:30:00Z', satisfied: false });
    },
    clock,
    policy: { approvalTimeoutMs: 3600_000, accessMaxMs: 8 * 3600_000 },
    newId: () => `id-${(n += 1)}`,
    observer: { within: (_op, run) => run(), record: (event) => events.push(event) },
  });
  return { clock, store, vault, usages, events, service };
}

function ok<T>(result: T | Refusal): T {
  if (isRefusal(result)) throw new Error(`${result.code}: ${result.message}`);
  return result;
}

const purpose = { reason: 'INC-1 fix', ticket: 'INC-1' };

describe('the access service (fake store, fake vault, manual clock)', () => {
  it('records the usage before it releases the value, and spends the approval once', async () => {
    const { service, usages, events } = setup();
    const request = ok(await service.request(bob, { secret: 'svc-a', ...purpose }));
    ok(await service.decide(carol, request.id, 'approve', undefined));
    const checkout = ok(await service.checkout(bob, { secret: 'svc-a', ...purpose }));
    expect(checkout).toMatchObject({ value: 'the-value', requestId: request.id });
    expect(usages).toEqual([
      expect.objectContaining({ secret: 'svc-a', actor: bob.name, checkoutId: checkout.checkoutId }),
    ]);
    const replay = await service.checkout(bob, { secret: 'svc-a', ...purpose, requestId: request.id });
    expect(isRefusal(replay) && replay.code).toBe('APPROVAL_EXPIRED');
    expect(usages).toHaveLength(1);
    expect(events.map((e) => `${e.operation}:${e.outcome}`)).toEqual([
      'request:requested',
      'decision:approved',
      'checkout:checked-out',
      'checkout:refused',
    ]);
    expect(events[2]).toMatchObject({
      actor: { id: bob.id },
      approver: { id: carol.id },
      ticket: 'INC-1',
      requestId: request.id,
    });
    expect(JSON.stringify(events)).not.toContain('the-value');
  });

  it('records nothing and releases nothing for a refused checkout', async () => {
    const { service, usages } = setup();
    for (const [who, input] of [
      [bob, { secret: 'svc-a', ...purpose }],
      [carol, { secret: 'svc-a', ...purpose }],
      [bob, { secret: 'svc-a', reason: 'x', ticket: '' }],
      [bob, { secret: 'nope', ...purpose }],
      [bob, { secret: 'bad name!', ...purpose }],
    ] as const) {
      expect(isRefusal(await service.checkout(who, input))).toBe(true);
    }
    expect(usages).toEqual([]);
  });

  it('stores and reports the expiry of a request nobody decided, once', async () => {
    const { service, clock, events, store } = setup();
    const request = ok(await service.request(bob, { secret: 'svc-a', ...purpose }));
    clock.advance('PT1H');
    const late = await service.decide(carol, request.id, 'approve', undefined);
    expect(isRefusal(late) && late.code).toBe('REQUEST_EXPIRED');
    await service.list(carol);
    expect(events.filter((e) => e.outcome === 'expired')).toHaveLength(1);
    expect(store.records.get(request.id)?.state).toBe('expired');
  });

  it('fails closed when Redis lost the approvals, and when Redis is down', async () => {
    const { service, store, usages } = setup();
    const request = ok(await service.request(bob, { secret: 'svc-a', ...purpose }));
    ok(await service.decide(carol, request.id, 'approve', undefined));
    store.flush();
    const lost = await service.checkout(bob, { secret: 'svc-a', ...purpose });
    expect(isRefusal(lost) && lost.code).toBe('APPROVAL_REQUIRED');
    store.down = true;
    await expect(service.checkout(bob, { secret: 'svc-a', ...purpose })).rejects.toThrow('unreachable');
    expect(usages).toEqual([]);
  });

  it('shows approvers every request and others only their own', async () => {
    const { service } = setup();
    ok(await service.request(bob, { secret: 'svc-a', ...purpose }));
    const other: Identity = { ...bob, id: 'oid-other', name: 'other@contoso.example' };
    expect(ok(await service.list(carol))).toHaveLength(1);
    expect(ok(await service.list(bob))).toHaveLength(1);
    expect(ok(await service.list(other))).toHaveLength(0);
  });
});

describe('recordThenRead', () => {
  it('records the usage again when a rotation committed a new version before the value was read', async () => {
    const clock = new ManualClock('2026-12-01T10:00:00Z');
    const vault = fakeVault({ 'rotation-target': 'keyvault' });
    const found = { ...vault.secret };
    // A scheduled rotation lands between the first recording and the read.
    vault.secret.version = 'v2';
    vault.secret.value = 'the-new-value';
    const recorded: UsageToRecord[] = [];
    const released = await recordThenRead(
      {
        clock,
        store: vault,
        recordUsage: (usage) => {
          recorded.push(usage);
          return Promise.resolve({ forcedAt: 'later', satisfied: false });
        },
      },
      found,
      { actor: bob.name, reason: 'r', checkoutId: 'c-1' },
    );
    expect(recorded).toHaveLength(2);
    expect(released.value).toBe('the-new-value');
  });
});
