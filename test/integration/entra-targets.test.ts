import { FakeEntra } from '../support/fake-entra';
import { GraphClient } from '../../src/targets/graph';
import { staticTokenCredential } from '../../src/vault';
import { createEntraAppTarget } from '../../src/targets/entra-app';
import { createEntraUserTarget } from '../../src/targets/entra-user';
import { isRotatorError } from '../../src/errors';
import type { TargetContext } from '../../src/rotation';

const TENANT = '11111111-2222-3333-4444-555555555555';

function context(account: string, rotationId = 'rot-1'): TargetContext {
  return {
    secretName: 'app-secret',
    vaultUrl: 'https://vault.example',
    tags: { 'rotation-account': account },
    rotationId,
    readSibling: () => Promise.resolve(undefined),
  };
}

describe('Entra targets against a fake Graph and token endpoint', () => {
  let fake: FakeEntra;
  let graph: GraphClient;

  beforeAll(async () => {
    fake = await FakeEntra.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.replicationLagMs = 0;
    graph = new GraphClient({
      baseUrl: fake.graphUrl,
      credential: staticTokenCredential('graph-token'),
      fetch: fake.fetch(),
      retryDelaySeconds: 0.2,
    });
  });

  function appTarget(verifyWindowMs = 5_000) {
    return createEntraAppTarget({
      graph,
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      verifyWindowMs,
      verifyIntervalMs: 200,
      credentialOptions: fake.credentialOptions(),
    });
  }

  it('entra-app: apply, verify, retire removes previous and orphans but keeps the new one', async () => {
    const app = fake.addApp();
    const previous = fake.addPasswordDirectly(app.id, 'rotator:old');
    const orphan = fake.addPasswordDirectly(app.id, 'rotator:crashed');
    const foreign = fake.addPasswordDirectly(app.id, 'manual');
    const target = appTarget();
    expect(target.policy).toBeUndefined();
    expect(target.external).toBe(true);
    expect(target.requiredTags).toEqual(['rotation-account']);

    const ctx = context(app.id, 'rot-2');
    const applied = await target.apply(ctx, undefined);
    const keyId = applied.tags['rotation-key-id'];
    expect(keyId).toBeDefined();
    expect(app.passwordCredentials.find((p) => p.keyId === keyId)?.displayName).toBe('rotator:rot-2');
    expect(app.passwordCredentials).toHaveLength(4); // overlap: the old one is still there

    await expect(target.verify(ctx, applied.value)).resolves.toEqual({ accepted: true });
    expect(fake.calls.some((c) => c.grantType === 'client_credentials' && c.status === 200)).toBe(true);
    expect(fake.calls.some((c) => c.path.endsWith('/v2.0/.well-known/openid-configuration'))).toBe(true);

    await target.retire(ctx, { 'rotation-key-id': previous.keyId }, applied);
    const left = app.passwordCredentials.map((p) => p.keyId).sort();
    expect(left).toEqual([keyId, foreign.keyId].sort());
    expect(left).not.toContain(orphan.keyId);

    // Idempotent: a second retire after a crash finds nothing more to remove.
    await target.retire(ctx, { 'rotation-key-id': previous.keyId }, applied);
    expect(app.passwordCredentials).toHaveLength(2);

    const rejected = await appTarget(300).verify(ctx, previous.secretText);
    expect(rejected.accepted).toBe(false);
    if (!rejected.accepted) {
      expect(rejected.endpoint).toBe(`${fake.authorityHost}/${TENANT}/oauth2/v2.0/token`);
      expect(rejected.reason).not.toContain(previous.secretText);
    }
  });

  it('entra-app: replication lag is waited out within the window', async () => {
    const app = fake.addApp();
    fake.replicationLagMs = 1_000;
    const target = appTarget(5_000);
    const ctx = context(app.id);
    const applied = await target.apply(ctx, undefined);
    const started = Date.now();
    await expect(target.verify(ctx, applied.value)).resolves.toEqual({ accepted: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('entra-user: apply resets, verify accepts the new password and rejects the old', async () => {
    fake.users.set('alice@contoso.test', 'Old-Password-1!');
    const target = createEntraUserTarget({
      graph,
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      fetch: fake.fetch(),
    });
    expect(target.policy?.name).toBe('entra-user');
    const ctx = context('alice@contoso.test');
    const applied = await target.apply(ctx, 'New-Password-2#xyz');
    expect(fake.users.get('alice@contoso.test')).toBe('New-Password-2#xyz');
    await expect(target.verify(ctx, applied.value)).resolves.toEqual({ accepted: true });
    const old = await target.verify(ctx, 'Old-Password-1!');
    expect(old).toEqual({
      accepted: false,
      reason: 'sign-in rejected (AADSTS50126)',
      endpoint: `${fake.authorityHost}/${TENANT}/oauth2/v2.0/token`,
    });
    await expect(target.retire(ctx, {}, applied)).resolves.toBeUndefined();
  });

  it('Graph 429 with Retry-After is retried', async () => {
    const app = fake.addApp();
    fake.failNext(2, 429, { retryAfter: '1', match: /addPassword/ });
    const before = fake.calls.length;
    const added = await graph.addPassword(app.id, 'rotator:throttled');
    const calls = fake.calls.slice(before);
    expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(added.secretText.length).toBeGreaterThan(0);
  });

  it('Graph 503 beyond the retry budget is TARGET_UNREACHABLE', async () => {
    const app = fake.addApp();
    const bounded = new GraphClient({
      baseUrl: fake.graphUrl,
      credential: staticTokenCredential('graph-token'),
      fetch: fake.fetch(),
      maxRetries: 1,
      retryDelaySeconds: 0.05,
    });
    fake.failNext(2, 503, { retryAfter: '0', match: /applications/ });
    const error: unknown = await bounded.listPasswords(app.id).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_UNREACHABLE');
  });

  it('a Retry-After longer than the in-process cap ends the call at once, for the job to retry later', async () => {
    const app = fake.addApp();
    fake.failNext(1, 429, { retryAfter: '3600', match: /applications/ });
    const before = fake.calls.length;
    const error: unknown = await graph.listPasswords(app.id).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_UNREACHABLE');
    expect(fake.calls.length - before).toBe(1);
  });

  it('removePassword of an unknown key counts as already removed', async () => {
    const app = fake.addApp();
    await expect(
      graph.removePassword(app.id, '00000000-0000-0000-0000-000000000000'),
    ).resolves.toBeUndefined();
  });

  it('errors never contain the secret', async () => {
    fake.users.set('bob@contoso.test', 'x');
    const secret = 'Sup3r-Secret-Value!42';
    fake.failNext(1, 400, { match: /users/ });
    const error: unknown = await graph.resetUserPassword('bob@contoso.test', secret).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('TARGET_REJECTED');
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error);
    expect(text).not.toContain(secret);

    const missing: unknown = await graph
      .resetUserPassword('nobody@contoso.test', secret)
      .catch((e: unknown) => e);
    expect(isRotatorError(missing) && missing.code).toBe('TARGET_MISCONFIGURED');
    expect(JSON.stringify(missing, Object.getOwnPropertyNames(missing)) + String(missing)).not.toContain(
      secret,
    );
  });
});
