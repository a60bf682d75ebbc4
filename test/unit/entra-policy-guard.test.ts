import { parseTargetPolicy, type TargetPolicy } from '../../src/policy';
import { isRotatorError } from '../../src/errors';
import {
  GraphDirectoryMembership,
  type DirectoryMembership,
} from '../../src/targets/graph/directory-membership';
import { guardEntraTarget } from '../../src/targets/policy-guard';
import { createTargetRegistry } from '../../src/targets/registry';
import type { RotationTarget, TargetContext } from '../../src/rotation';

const APP = '11111111-1111-4111-8111-111111111111';
const OTHER_APP = '22222222-2222-4222-8222-222222222222';
const USER = '33333333-3333-4333-8333-333333333333';
const GROUP_MEMBER = '44444444-4444-4444-8444-444444444444';
const AU_MEMBER = '55555555-5555-4555-8555-555555555555';
const STRANGER = '66666666-6666-4666-8666-666666666666';
const GROUP = '77777777-7777-4777-8777-777777777777';
const UNIT = '88888888-8888-4888-8888-888888888888';

const policy: TargetPolicy = parseTargetPolicy(
  JSON.stringify({
    version: 1,
    'entra-app': { applications: [APP] },
    'entra-user': { users: [USER], groups: [GROUP], administrativeUnits: [UNIT] },
  }),
  'policy.json',
);

/** A directory in memory with a call log, checked at compile time against the port. */
class FakeDirectory implements DirectoryMembership {
  readonly calls: string[] = [];
  readonly upns = new Map([
    ['admin@contoso.example', STRANGER],
    ['member@contoso.example', GROUP_MEMBER],
  ]);
  userObjectId(idOrUpn: string): Promise<string | undefined> {
    this.calls.push(`user ${idOrUpn}`);
    return Promise.resolve(this.upns.get(idOrUpn));
  }
  memberGroups(id: string, groups: readonly string[]): Promise<string[]> {
    this.calls.push(`groups ${id}`);
    return Promise.resolve(id === GROUP_MEMBER ? groups.filter((g) => g === GROUP) : []);
  }
  inAdministrativeUnit(id: string, unit: string): Promise<boolean> {
    this.calls.push(`unit ${id}`);
    return Promise.resolve(id === AU_MEMBER && unit === UNIT);
  }
}

/** Records every call that would change (or read) the directory. */
function recordingTarget(kind: 'entra-app' | 'entra-user', calls: string[]): RotationTarget {
  return {
    kind,
    policy: undefined,
    external: true,
    requiredTags: ['rotation-account'],
    precheck: () => {
      calls.push('precheck');
      return Promise.resolve();
    },
    apply: () => {
      calls.push('apply');
      return Promise.resolve({ value: 'x', tags: {} });
    },
    verify: () => {
      calls.push('verify');
      return Promise.resolve({ accepted: true });
    },
    retire: () => {
      calls.push('retire');
      return Promise.resolve();
    },
  };
}

function ctx(account: string): TargetContext {
  return {
    secretName: 'svc',
    vaultUrl: 'https://v.vault.azure.net',
    tags: { 'rotation-account': account },
    rotationId: 'r',
    readSibling: () => Promise.resolve(undefined),
  };
}

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  return isRotatorError(error) ? error.code : error instanceof Error ? error.message : 'not an error';
}

describe('Entra targets under the target policy', () => {
  it('acts on an application the policy names, and refuses any other before calling Graph', async () => {
    const calls: string[] = [];
    const target = guardEntraTarget(recordingTarget('entra-app', calls), policy);
    await target.apply(ctx(APP.toUpperCase()), undefined);
    expect(calls).toEqual(['apply']);
    for (const call of [
      target.precheck?.(ctx(OTHER_APP)),
      target.apply(ctx(OTHER_APP), undefined),
      target.verify(ctx(OTHER_APP), 'v'),
      target.retire(ctx(OTHER_APP), {}, { value: 'v', tags: {} }),
    ]) {
      expect(await code(call ?? Promise.resolve())).toBe('SECRET_MISCONFIGURED');
    }
    expect(calls).toEqual(['apply']);
  });

  it('acts on users the policy names directly, through a group or through an administrative unit', async () => {
    const calls: string[] = [];
    const directory = new FakeDirectory();
    const target = guardEntraTarget(recordingTarget('entra-user', calls), policy, () => directory);
    await target.apply(ctx(USER), 'v');
    expect(directory.calls).toEqual([]);
    await target.apply(ctx(GROUP_MEMBER), 'v');
    await target.apply(ctx('member@contoso.example'), 'v');
    await target.apply(ctx(AU_MEMBER), 'v');
    expect(calls).toEqual(['apply', 'apply', 'apply', 'apply']);
  });

  it('refuses, before any change, a user outside the policy (e.g. an administrator named by UPN)', async () => {
    const calls: string[] = [];
    const target = guardEntraTarget(recordingTarget('entra-user', calls), policy, () => new FakeDirectory());
    expect(await code(target.apply(ctx('admin@contoso.example'), 'v'))).toBe('SECRET_MISCONFIGURED');
    expect(await code(target.apply(ctx(STRANGER), 'v'))).toBe('SECRET_MISCONFIGURED');
    expect(await code(target.apply(ctx('ghost@contoso.example'), 'v'))).toBe('SECRET_MISCONFIGURED');
    expect(calls).toEqual([]);
  });

  it('refuses every Entra target when no policy is configured, without a tenant or a Graph call', async () => {
    const requests: string[] = [];
    const fetchSpy: typeof fetch = (input) => {
      requests.push(input instanceof Request ? input.url : input.toString());
      return Promise.reject(new Error('no network in this test'));
    };
    const registry = createTargetRegistry(
      {
        graphUrl: 'https://graph.example',
        authorityHost: 'https://login.example',
        tenantId: undefined,
        targetPolicy: undefined,
      },
      { fetch: fetchSpy },
    );
    for (const kind of ['entra-app', 'entra-user'] as const) {
      const target = registry(kind);
      expect(await code(target?.precheck?.(ctx(APP)) ?? Promise.resolve())).toBe('SECRET_MISCONFIGURED');
      expect(await code(target?.apply(ctx(APP), 'v') ?? Promise.resolve())).toBe('SECRET_MISCONFIGURED');
    }
    expect(requests).toEqual([]);
  });
});

describe('GraphDirectoryMembership', () => {
  it('asks Graph v1.0 checkMemberGroups and the administrative unit member path, 404 meaning "not a member"', async () => {
    const seen: { method: string; url: string; body: string | undefined }[] = [];
    const fake: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      seen.push({
        method: init?.method ?? 'GET',
        url,
        body: typeof init?.body === 'string' ? init.body : undefined,
      });
      if (url.includes('/checkMemberGroups')) return Promise.resolve(Response.json({ value: [GROUP] }));
      if (url.includes(`/members/${AU_MEMBER}`)) return Promise.resolve(Response.json({ id: AU_MEMBER }));
      if (url.includes('/users/someone%40contoso.example'))
        return Promise.resolve(Response.json({ id: USER.toUpperCase() }));
      return Promise.resolve(new Response('{"error":{"code":"Request_ResourceNotFound"}}', { status: 404 }));
    };
    const graph = new GraphDirectoryMembership({
      baseUrl: 'https://graph.example/v1.0',
      tokenProvider: () => Promise.resolve('token'),
      fetch: fake,
    });
    expect(await graph.memberGroups(GROUP_MEMBER, [GROUP])).toEqual([GROUP]);
    expect(await graph.inAdministrativeUnit(AU_MEMBER, UNIT)).toBe(true);
    expect(await graph.inAdministrativeUnit(STRANGER, UNIT)).toBe(false);
    expect(await graph.userObjectId('someone@contoso.example')).toBe(USER);
    expect(await graph.userObjectId('ghost@contoso.example')).toBeUndefined();
    expect(seen[0]).toEqual({
      method: 'POST',
      url: `https://graph.example/v1.0/users/${GROUP_MEMBER}/checkMemberGroups`,
      body: JSON.stringify({ groupIds: [GROUP] }),
    });
    expect(seen[1]?.url).toBe(
      `https://graph.example/v1.0/directory/administrativeUnits/${UNIT}/members/${AU_MEMBER}`,
    );
  });

  it('reports missing Graph permissions as a permanent misconfiguration', async () => {
    const graph = new GraphDirectoryMembership({
      tokenProvider: () => Promise.resolve('token'),
      fetch: () => Promise.resolve(new Response('{}', { status: 403 })),
    });
    const error: unknown = await graph.memberGroups(USER, [GROUP]).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_MISCONFIGURED');
    expect(isRotatorError(error) && error.permanent).toBe(true);
  });
});
