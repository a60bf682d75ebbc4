import { ROLE } from '../../src/access/identity';
import {
  startTestIssuer,
  type MintOptions,
  type TestIdentity,
  type TestIssuer,
} from '../../tools/demo/test-issuer';
import { createTokenVerifier, type TokenVerifier } from '../../src/identity/token-verifier';
import { PEOPLE } from '../support/access';

const AUDIENCE = 'api://rotator-test';
// A person with the checkout role, and a workload (client credentials) with it.
const { bob, batchJob } = PEOPLE;

describe('token verification against the test issuer', () => {
  let issuer: TestIssuer;
  let verifier: TokenVerifier;

  /** A verifier of `from`'s v2 tokens for AUDIENCE that refetches the key set at once (no cooldown). */
  const verifierOf = (from: TestIssuer): TokenVerifier =>
    createTokenVerifier({ issuer: from.issuer, audience: AUDIENCE, ca: from.caPem, cooldownMs: 0 });

  beforeAll(async () => {
    issuer = await startTestIssuer();
    verifier = verifierOf(issuer);
  });
  afterAll(() => issuer.close());

  const bearer = (token: string): string => `Bearer ${token}`;
  /** The Authorization header of a token `from` mints for `who` (for AUDIENCE unless `options` say otherwise). */
  const header = async (
    who: TestIdentity,
    options: Partial<MintOptions> = {},
    from: TestIssuer = issuer,
  ): Promise<string> => bearer(await from.mint(who, { audience: AUDIENCE, ...options }));

  /** An issuer of the test's own, whose keys it may rotate and retire without touching the others. */
  async function withFreshIssuer(test: (fresh: TestIssuer) => Promise<void>): Promise<void> {
    const fresh = await startTestIssuer();
    try {
      await test(fresh);
    } finally {
      await fresh.close();
    }
  }

  it('takes the identity of a person from a v2 token: oid, preferred_username and roles', async () => {
    const identity = await verifier.verify(await header(bob));
    expect(identity).toEqual({ id: bob.oid, name: bob.upn, kind: 'user', roles: [ROLE.checkout] });
  });

  it('takes the identity of a workload from an app-only token: oid and azp', async () => {
    const identity = await verifier.verify(await header(batchJob));
    expect(identity).toEqual({ id: batchJob.oid, name: batchJob.appId, kind: 'app', roles: [ROLE.checkout] });
  });

  it('accepts v1 tokens (upn, appid) from a v1 issuer', async () => {
    const v1 = createTokenVerifier({ issuer: issuer.issuerV1, audience: AUDIENCE, ca: issuer.caPem });
    const person = await v1.verify(await header(bob, { version: 1 }));
    expect(person).toMatchObject({ id: bob.oid, name: bob.upn, kind: 'user' });
    const app = await v1.verify(await header(batchJob, { version: 1 }));
    expect(app).toMatchObject({ id: batchJob.oid, name: batchJob.appId, kind: 'app' });
    // A v1 token does not pass for the v2 issuer: the issuer is explicit.
    expect(await verifier.verify(await header(bob, { version: 1 }))).toMatchObject({
      code: 'TOKEN_ISSUER',
    });
  });

  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ['a missing token', () => Promise.resolve(undefined), 'TOKEN_MISSING'],
    ['a header that is not a bearer token', () => Promise.resolve('Basic YWxpY2U6cHc='), 'TOKEN_MISSING'],
    ['garbage', () => Promise.resolve('Bearer not-a-jwt'), 'TOKEN_MALFORMED'],
    ['an expired token', () => header(bob, { expiresIn: -600 }), 'TOKEN_EXPIRED'],
    ['a token not valid yet', () => header(bob, { notBefore: 600, expiresIn: 3600 }), 'TOKEN_NOT_YET_VALID'],
    ['a token for another audience', () => header(bob, { audience: 'api://other' }), 'TOKEN_AUDIENCE'],
    [
      'a token from another issuer',
      () => header(bob, { claims: { iss: 'https://login.microsoftonline.com/evil/v2.0' } }),
      'TOKEN_ISSUER',
    ],
    ['an unsigned token (alg none)', () => header(bob, { signing: 'none' }), 'TOKEN_ALGORITHM'],
    ['a badly signed token', () => header(bob, { signing: 'tampered' }), 'TOKEN_SIGNATURE'],
    [
      'a token signed by a key the issuer does not publish',
      () => header(bob, { signing: 'unpublished' }),
      'TOKEN_UNKNOWN_KEY',
    ],
    ['a token without oid', () => header(bob, { claims: { oid: undefined } }), 'TOKEN_IDENTITY'],
  ];
  it.each(cases)('refuses %s', async (_what, authorization, code) => {
    const result = await verifier.verify(await authorization());
    expect(result).toMatchObject({ refused: true, code });
  });

  it('caches the key set and fetches it again for a key it has not seen (rotation)', async () => {
    await withFreshIssuer(async (fresh) => {
      const v = verifierOf(fresh);
      for (let i = 0; i < 3; i += 1) await v.verify(await header(bob, {}, fresh));
      expect(fresh.keySetFetches()).toBe(1);
      await fresh.rotateKeys({ retire: true });
      const after = await v.verify(await header(bob, {}, fresh));
      expect(after).toMatchObject({ id: bob.oid });
      expect(fresh.keySetFetches()).toBe(2);
    });
  });

  it('keeps accepting tokens of the previous key while the issuer still publishes it', async () => {
    const v = verifierOf(issuer);
    const old = await header(bob);
    await issuer.rotateKeys();
    expect(await v.verify(await header(bob))).toMatchObject({ id: bob.oid });
    expect(await v.verify(old)).toMatchObject({ id: bob.oid });
  });

  it('refuses tokens signed by a retired key once the issuer stops publishing it', async () => {
    await withFreshIssuer(async (fresh) => {
      const v = verifierOf(fresh);
      const old = await header(bob, {}, fresh);
      await fresh.rotateKeys({ retire: true });
      // A new-key token makes the verifier refetch, and the old kid is gone from the set.
      await v.verify(await header(bob, {}, fresh));
      expect(await v.verify(old)).toMatchObject({ code: 'TOKEN_UNKNOWN_KEY' });
    });
  });

  it('fails closed when the issuer cannot be reached', async () => {
    const v = createTokenVerifier({ issuer: 'https://127.0.0.1:1/tenant/v2.0', audience: AUDIENCE });
    expect(await v.verify(await header(bob))).toMatchObject({
      code: 'ISSUER_UNREACHABLE',
    });
  });
});
