import pino from 'pino';
import { AccessService } from '../../src/access/access-service';
import { startAccessApi, type AccessApi } from '../../src/access-api/server';
import { ManualClock } from '../../src/clock/clock';
import { startTestIssuer, type TestIssuer } from '../../tools/demo/test-issuer';
import { createTokenVerifier } from '../../src/identity/token-verifier';
import type { SecretStore } from '../../src/vault/secret-store';
import { API_AUDIENCE, PEOPLE } from '../support/access';
import { MemoryAccessStore } from '../support/memory-access-store';

/** The access API in process over fakes: routing, errors and failing closed, without the daemon. */
describe('the access API server', () => {
  let issuer: TestIssuer;
  let api: AccessApi;
  const store = new MemoryAccessStore();
  const usages: string[] = [];
  const vault: SecretStore = {
    vaultUrl: 'https://vault.example',
    get: (name) =>
      Promise.resolve(
        name === 'svc-open'
          ? {
              vaultUrl: 'https://vault.example',
              name,
              version: 'v1',
              enabled: true,
              tags: { 'rotation-target': 'keyvault' },
              contentType: undefined,
              createdOn: undefined,
              updatedOn: undefined,
              value: 'open-value',
            }
          : undefined,
      ),
    set: () => Promise.reject(new Error('unused')),
    updateProperties: () => Promise.reject(new Error('unused')),
    list: () => {
      throw new Error('unused');
    },
    listVersions: () => {
      throw new Error('unused');
    },
    ping: () => Promise.resolve(),
  };

  const call = async (method: string, path: string, token?: string, body?: string) => {
    const res = await fetch(`http://127.0.0.1:${api.port}${path}`, {
      method,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body,
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    issuer = await startTestIssuer();
    api = await startAccessApi({
      port: 0,
      host: '127.0.0.1',
      verifier: createTokenVerifier({ issuer: issuer.issuer, audience: API_AUDIENCE, ca: issuer.caPem }),
      service: new AccessService({
        store,
        vaults: [vault],
        recordUsage: (usage) => {
          usages.push(usage.secret);
          return Promise.resolve({ forcedAt: 'soon', satisfied: false });
        },
        clock: new ManualClock(new Date().toISOString()),
        policy: { approvalTimeoutMs: 3600_000, accessMaxMs: 8 * 3600_000 },
        newId: () => 'fixed-id',
      }),
      logger: pino({ level: 'silent' }),
      operationTimeoutMs: 500,
    });
  });

  afterAll(async () => {
    await api.close();
    await issuer.close();
  });

  it('serves its OpenAPI document without a token, and answers unknown routes 404 and wrong methods 405', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.json['paths'] as object)).toContain('/v1/secrets/{name}/checkout');
    expect((await call('GET', '/v2/anything')).json).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await call('GET', '/v1/secrets/svc-open/checkout')).status).toBe(405);
  });

  it('checks the token before reading the body', async () => {
    const answer = await call('POST', '/v1/secrets/svc-open/checkout', undefined, '{not json');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('checks a secret out, and refuses an unsupported body type', async () => {
    const bob = await issuer.mint(PEOPLE.bob, { audience: API_AUDIENCE });
    const ok = await call(
      'POST',
      '/v1/secrets/svc-open/checkout',
      bob,
      JSON.stringify({ reason: 'r', ticket: 'T-1' }),
    );
    expect(ok).toMatchObject({ status: 200, json: { value: 'open-value', secret: 'svc-open' } });
    const res = await fetch(`http://127.0.0.1:${api.port}/v1/secrets/svc-open/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'text/plain' },
      body: 'reason=r',
    });
    expect(res.status).toBe(415);
    expect(usages).toEqual(['svc-open']);
  });

  it('fails closed with 503 when the request store (Redis) is down, releasing nothing', async () => {
    store.down = true;
    try {
      const bob = await issuer.mint(PEOPLE.bob, { audience: API_AUDIENCE });
      const answer = await call(
        'POST',
        '/v1/requests',
        bob,
        JSON.stringify({ secret: 'svc-open', reason: 'r', ticket: 'T-1' }),
      );
      expect(answer).toMatchObject({ status: 503, json: { error: { code: 'ACCESS_UNAVAILABLE' } } });
      expect(JSON.stringify(answer.json)).not.toContain('open-value');
    } finally {
      store.down = false;
    }
  });
});
