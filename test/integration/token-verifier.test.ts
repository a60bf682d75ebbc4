import { ROLE } from '../../src/access/identity';
import { startTestIssuer, type TestIdentity, type TestIssuer } from '../../tools/demo/test-issuer';
import { createTokenVerifier, type TokenVerifier } from '../../src/identity/token-verifier';

const AUDIENCE = 'api://rotator-test';
const alice: TestIdentity = {
  oid: '11111111-1111-1111-1111-111111111111',
  upn: 'alice@contoso.example',
  roles: [ROLE.checkout],
};
const batch: TestIdentity = {
  oid: '22222222-2222-2222-2222-222222222222',
  appId: 'a0c7b1c2-0000-4000-8000-000000000001',
  roles: [ROLE.checkout],
};

describe('token verification against the test issuer', () => {
  let issuer: TestIssuer;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    verifier = createTokenVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      ca: issuer.caPem,
      cooldownMs: 0,
    });
  });
  afterAll(() => issuer.close());

  const bearer = (token: string): string => `Bearer ${token}`;

  it('takes the identity of a person from a v2 token: oid, preferred_username and roles', async () => {
    const identity = await verifier.verify(bearer(await issuer.mint(alice, { audience: AUDIENCE })));
    expect(identity).toEqual({ id: alice.oid, name: alice.upn, kind: 'user', roles: [ROLE.checkout] });
  });

  it('takes the identity of a workload from an app-only token: oid and azp', async () => {
    const identity = await verifier.verify(bearer(await issuer.mint(batch, { audience: AUDIENCE })));
    expect(identity).toEqual({ id: batch.oid, name: batch.appId, kind: 'app', roles: [ROLE.checkout] });
  });

  it('accepts v1 tokens (upn, appid) from a v1 issuer', async () => {
    const v1 = createTokenVerifier({ issuer: issuer.issuerV1, audience: AUDIENCE, ca: issuer.caPem });
    const person = await v1.verify(bearer(await issuer.mint(alice, { audience: AUDIENCE, version: 1 })));
    expect(person).toMatchObject({ id: alice.oid, name: alice.upn, kind: 'user' });
    const app = await v1.verify(bearer(await issuer.mint(batch, { audience: AUDIENCE, version: 1 })));
    expect(app).toMatchObject({ id: batch.oid, name: batch.appId, kind: 'app' });
    // A v1 token does not pass for the v2 issuer: the issuer is explicit.
    expect(
      await verifier.verify(bearer(await issuer.mint(alice, { audience: AUDIENCE, version: 1 }))),
    ).toMatchObject({
      code: 'TOKEN_ISSUER',
    });
  });

  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ['a missing token', () => Promise.resolve(undefined), 'TOKEN_MISSING'],
    ['a header that is not a bearer token', () => Promise.resolve('Basic YWxpY2U6cHc='), 'TOKEN_MISSING'],
    ['garbage', () => Promise.resolve('Bearer not-a-jwt'), 'TOKEN_MALFORMED'],
    [
      'an expired token',
      async () => bearer(await issuer.mint(alice, { audience: AUDIENCE, expiresIn: -600 })),
      'TOKEN_EXPIRED',
    ],
    [
      'a token not valid yet',
      async () => bearer(await issuer.mint(alice, { audience: AUDIENCE, notBefore: 600, expiresIn: 3600 })),
      'TOKEN_NOT_YET_VALID',
    ],
    [
      'a token for another audience',
      async () => bearer(await issuer.mint(alice, { audience: 'api://other' })),
      'TOKEN_AUDIENCE',
    ],
    [
      'a token from another issuer',
      async () =>
        bearer(
          await issuer.mint(alice, {
            audience: AUDIENCE,
            claims: { iss: 'https://login.microsoftonline.com/evil/v2.0' },
          }),
        ),
      'TOKEN_ISSUER',
    ],
    [
      'an unsigned token (alg none)',
      async () => bearer(await issuer.mint(alice, { audience: AUDIENCE, signing: 'none' })),
      'TOKEN_ALGORITHM',
    ],
    [
      'a badly signed token',
      async () => bearer(await issuer.mint(alice, { audience: AUDIENCE, signing: 'tampered' })),
      'TOKEN_SIGNATURE',
    ],
    [
      'a token signed by a key the issuer does not publish',
      async () => bearer(await issuer.mint(alice, { audience: AUDIENCE, signing: 'unpublished' })),
      'TOKEN_UNKNOWN_KEY',
    ],
    [
      'a token without oid',
      async () => bearer(await issuer.mint(alice, { audience: AUDIENCE, claims: { oid: undefined } })),
      'TOKEN_IDENTITY',
    ],
  ];
  it.each(cases)('refuses %s', async (_what, header, code) => {
    const result = await verifier.verify(await header());
    expect(result).toMatchObject({ refused: true, code });
  });

  it('caches the key set and fetches it again for a key it has not seen (rotation)', async () => {
    const fresh = await startTestIssuer();
    try {
      const v = createTokenVerifier({
        issuer: fresh.issuer,
        audience: AUDIENCE,
        ca: fresh.caPem,
        cooldownMs: 0,
      });
      for (let i = 0; i < 3; i += 1) await v.verify(bearer(await fresh.mint(alice, { audience: AUDIENCE })));
      expect(fresh.keySetFetches()).toBe(1);
      await fresh.rotateKeys({ retire: true });
      const after = await v.verify(bearer(await fresh.mint(alice, { audience: AUDIENCE })));
      expect(after).toMatchObject({ id: alice.oid });
      expect(fresh.keySetFetches()).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('keeps accepting tokens of the previous key while the issuer still publishes it', async () => {
    const v = createTokenVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      ca: issuer.caPem,
      cooldownMs: 0,
    });
    const old = await issuer.mint(alice, { audience: AUDIENCE });
    await issuer.rotateKeys();
    expect(await v.verify(bearer(await issuer.mint(alice, { audience: AUDIENCE })))).toMatchObject({
      id: alice.oid,
    });
    expect(await v.verify(bearer(old))).toMatchObject({ id: alice.oid });
  });

  it('refuses tokens signed by a retired key once the issuer stops publishing it', async () => {
    const fresh = await startTestIssuer();
    try {
      const v = createTokenVerifier({
        issuer: fresh.issuer,
        audience: AUDIENCE,
        ca: fresh.caPem,
        cooldownMs: 0,
      });
      const old = await fresh.mint(alice, { audience: AUDIENCE });
      await fresh.rotateKeys({ retire: true });
      // A new-key token makes the verifier refetch, and the old kid is gone from the set.
      await v.verify(bearer(await fresh.mint(alice, { audience: AUDIENCE })));
      expect(await v.verify(bearer(old))).toMatchObject({ code: 'TOKEN_UNKNOWN_KEY' });
    } finally {
      await fresh.close();
    }
  });

  it('fails closed when the issuer cannot be reached', async () => {
    const v = createTokenVerifier({ issuer: 'https://127.0.0.1:1/tenant/v2.0', audience: AUDIENCE });
    expect(await v.verify(bearer(await issuer.mint(alice, { audience: AUDIENCE })))).toMatchObject({
      code: 'ISSUER_UNREACHABLE',
    });
  });
});
