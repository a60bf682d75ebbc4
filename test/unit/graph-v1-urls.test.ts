import { serializePasswordCredential, serializeUser } from '@microsoft/msgraph-sdk/models/index.js';
import { loadConfig } from '../../src/config';
import { isRotatorError } from '../../src/errors';
import { graphEndpoint } from '../../src/targets/graph';
import { createTargetRegistry } from '../../src/targets/registry';
import type { TargetPolicy } from '../../src/policy';
import type { TargetContext } from '../../src/rotation';
import { staticTokenCredential } from '../../src/vault/client-options';
import { FakeEntra } from '../support/fake-entra';
import { propertiesOf } from '../support/graph/graph-schema';

const TENANT = '11111111-2222-3333-4444-555555555555';
/** A user named by object id: the target policy names users that way. */
const USER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

function context(account: string): TargetContext {
  return {
    secretName: 's',
    vaultUrl: 'https://vault.example',
    tags: { 'rotation-account': account },
    rotationId: 'rot-1',
    readSibling: () => Promise.resolve(undefined),
  };
}

describe('Microsoft Graph URLs and the fake built from Graph v1.0 OpenAPI', () => {
  // Never started as a server: every request is answered in-process, whatever its host.
  let fake: FakeEntra;
  let send: typeof fetch;
  beforeAll(async () => {
    fake = await FakeEntra.start();
    send = fake.inProcessFetch();
  });
  afterAll(() => fake.stop());

  it('the default configuration sends every Entra target call to https://graph.microsoft.com/v1.0', async () => {
    const config = loadConfig({ AZURE_TENANT_ID: TENANT });
    expect(config.graphUrl).toBe('https://graph.microsoft.com');
    const urls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      urls.push(new Request(input, init).url);
      return send(input, init);
    };
    const app = fake.addApp();
    // The target policy allows exactly this application and this user (the guard asks Graph nothing).
    const policy: TargetPolicy = {
      version: 1,
      'entra-app': { applications: [app.id.toLowerCase()] },
      'entra-user': { users: [USER], groups: [], administrativeUnits: [] },
    };
    const targets = createTargetRegistry(
      { ...config, targetPolicy: policy },
      {
        graphCredential: staticTokenCredential('graph-token'),
        fetch: recording,
      },
    );
    const old = fake.addPasswordDirectly(app.id, 'rotator:old');
    fake.users.set(USER, 'Old-1!');
    const appTarget = targets('entra-app');
    const userTarget = targets('entra-user');
    if (appTarget === undefined || userTarget === undefined) throw new Error('no Entra targets');

    const applied = await appTarget.apply(context(app.id), undefined);
    await appTarget.retire(context(app.id), { 'rotation-key-id': old.keyId }, applied);
    await userTarget.apply(context(USER), 'New-Password-2#xyz');

    const id = encodeURIComponent(app.id);
    expect(urls).toEqual([
      `https://graph.microsoft.com/v1.0/applications/${id}/addPassword`,
      `https://graph.microsoft.com/v1.0/applications/${id}?$select=id,appId,passwordCredentials`,
      `https://graph.microsoft.com/v1.0/applications/${id}/removePassword`,
      `https://graph.microsoft.com/v1.0/users/${USER}`,
    ]);
    expect(fake.calls.filter((c) => c.refused !== undefined)).toEqual([]);
    expect(fake.users.get(USER)).toBe('New-Password-2#xyz');
    expect(app.passwordCredentials.map((p) => p.keyId)).toEqual([applied.tags['rotation-key-id']]);
  });

  it('ROTATOR_GRAPH_URL is Graph’s root: /v1.0 is added, also accepted, and any other path refused', () => {
    expect(graphEndpoint('https://graph.microsoft.com')).toEqual({
      root: 'https://graph.microsoft.com',
      host: 'graph.microsoft.com',
    });
    expect(graphEndpoint('https://graph.microsoft.us/v1.0/').root).toBe('https://graph.microsoft.us');
    for (const bad of ['https://graph.microsoft.com/beta', 'http://graph.microsoft.com', 'not a url']) {
      let error: unknown;
      try {
        graphEndpoint(bad);
      } catch (e) {
        error = e;
      }
      expect(isRotatorError(error) && error.code).toBe('TARGET_MISCONFIGURED');
    }
  });

  async function graphCall(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; error: { code: string; message: string } }> {
    const response = await send(`https://graph.microsoft.com${path}`, {
      method,
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as { error: { code: string; message: string } };
    return { status: response.status, error: json.error };
  }

  it('refuses what Graph refuses: a path without the version (the old base URL bug)', async () => {
    const app = fake.addApp();
    const answer = await graphCall('POST', `/applications/${app.id}/addPassword`, {
      passwordCredential: { displayName: 'x' },
    });
    expect(answer).toEqual({
      status: 400,
      error: expect.objectContaining({
        code: 'BadRequest',
        message: 'Invalid version: applications',
      }) as unknown,
    });
    expect(app.passwordCredentials).toEqual([]);
  });

  it('refuses an unknown body property, nested or at the top, and changes nothing', async () => {
    const app = fake.addApp();
    const nested = await graphCall('POST', `/v1.0/applications/${app.id}/addPassword`, {
      passwordCredential: { displayName: 'x', expiresAt: '2030-01-01T00:00:00Z' },
    });
    expect(nested.status).toBe(400);
    expect(nested.error.code).toBe('Request_BadRequest');
    expect(nested.error.message).toContain("'passwordCredential.expiresAt'");
    const flat = await graphCall('POST', `/v1.0/applications/${app.id}/addPassword`, { displayName: 'x' });
    expect(flat.error.code).toBe('Request_BadRequest');
    const user = await graphCall('PATCH', '/v1.0/users/bob@contoso.test', { password: 'x' });
    expect(user.error.code).toBe('Request_BadRequest');
    expect(app.passwordCredentials).toEqual([]);
  });

  it('refuses a missing or mistyped required parameter, an unknown $select, a wrong method and an unknown segment', async () => {
    const app = fake.addApp();
    const base = `/v1.0/applications/${app.id}`;
    expect((await graphCall('POST', `${base}/removePassword`, {})).error.message).toContain(
      "'keyId' is required",
    );
    expect((await graphCall('POST', `${base}/removePassword`, { keyId: 'abc' })).error.message).toContain(
      'GUID',
    );
    expect((await graphCall('GET', `${base}?$select=id,secrets`)).error.message).toContain("'secrets'");
    expect((await graphCall('PUT', base, {})).status).toBe(405);
    const segment = await graphCall('POST', `${base}/addSecret`, {});
    expect(segment).toEqual({
      status: 400,
      error: expect.objectContaining({ code: 'BadRequest' }) as unknown,
    });
    expect(
      (await graphCall('GET', '/v1.0/applications/00000000-0000-0000-0000-000000000000')).error.code,
    ).toBe('Request_ResourceNotFound');
  });

  it('takes its schemas from Microsoft’s generated models, not from a copy', () => {
    const password = propertiesOf(serializePasswordCredential);
    expect([...password.keys()]).toEqual(
      expect.arrayContaining(['displayName', 'endDateTime', 'keyId', 'secretText', 'startDateTime']),
    );
    expect(password.get('keyId')?.kind).toBe('guid');
    const user = propertiesOf(serializeUser);
    expect(user.get('passwordProfile')?.kind).toBe('object');
    expect(user.has('password')).toBe(false);
  });
});
