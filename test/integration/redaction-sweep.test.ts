import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isRotatorError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { parseTargetPolicy } from '../../src/policy';
import { createEntraAppTarget } from '../../src/targets/entra-app';
import { createEntraUserTarget } from '../../src/targets/entra-user';
import { GraphClient } from '../../src/targets/graph/graph-client';
import { guardEntraTarget } from '../../src/targets/policy-guard';
import { createPostgresTarget } from '../../src/targets/postgres';
import type { RotationTarget, TargetContext } from '../../src/rotation';
import { staticTokenCredential } from '../../src/vault/client-options';
import { runRotator } from '../support/cli-process';
import { FakeEntra } from '../support/fake-entra';
import { freePort } from '../support/ports';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';

/**
 * Values go in through every error path of every target and of the CLI; everything that comes out
 * (error messages, hints, one-liners, serialized errors, log lines, stdout, stderr) is scanned.
 */
describe('no value in any output, whatever fails', () => {
  const values = new Set<string>();
  const outputs: string[] = [];
  const chunks: string[] = [];
  const logger = createLogger(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
  );
  let pg: PostgresCluster;
  let fake: FakeEntra;
  const TENANT = '11111111-2222-3333-4444-555555555555';
  const dir = mkdtempSync(join(tmpdir(), 'rotator-redaction-'));

  /** Records everything an error can show: what the worker records, what the CLI prints, what gets logged. */
  function collect(error: unknown): void {
    if (isRotatorError(error)) outputs.push(error.toOneLine(), error.hint);
    if (error instanceof Error) outputs.push(error.message, error.stack ?? '');
    logger.error({ err: error, secret: 'svc-x' }, 'rotation job failed');
  }
  async function expectFailure(run: () => Promise<unknown>): Promise<void> {
    // A successful apply returns the value by design; only what failures show is scanned.
    await run().then(
      () => undefined,
      (e: unknown) => collect(e),
    );
  }
  function ctx(tags: Record<string, string>, siblings: Record<string, string> = {}): TargetContext {
    return {
      secretName: 'svc-x',
      vaultUrl: 'https://v.vault.azure.net',
      tags,
      rotationId: randomUUID(),
      readSibling: (name) => Promise.resolve(siblings[name]),
    };
  }

  beforeAll(async () => {
    [pg, fake] = await Promise.all([startPostgresCluster(), FakeEntra.start()]);
    values.add(pg.adminPassword);
  });
  afterAll(async () => {
    await pg?.stop();
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('postgres: every failure of the admin session and of verification', async () => {
    const wrongAdmin = `Wrong-Admin-${randomUUID()}`;
    const garbage = `Garbage-Pw-${randomUUID()}`;
    const fresh = `Fresh-Value-${randomUUID()}`;
    for (const v of [wrongAdmin, garbage, fresh]) values.add(v);
    const port = await freePort();
    const ca = encodeURIComponent(pg.caFile);
    const connections: Record<string, string> = {
      good: pg.adminUrl,
      wrong: `postgres://postgres:${encodeURIComponent(wrongAdmin)}@127.0.0.1:${pg.port}/postgres?sslrootcert=${ca}`,
      garbage: `host=127.0.0.1 password=${garbage} port=notaport user=postgres`,
      dead: `postgres://postgres:${encodeURIComponent(pg.adminPassword)}@127.0.0.1:${port}/postgres`,
      nocert: `postgres://postgres:${encodeURIComponent(pg.adminPassword)}@127.0.0.1:${pg.port}/postgres`,
      plain: `postgres://postgres:${encodeURIComponent(pg.adminPassword)}@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
      nodb: `postgres://postgres:${encodeURIComponent(pg.adminPassword)}@127.0.0.1:${pg.port}/nodb?sslrootcert=${ca}`,
      other: `postgres://postgres:${encodeURIComponent(pg.adminPassword)}@db.elsewhere.example:5432/postgres`,
    };
    const vault = 'https://v.vault.azure.net';
    const policy = parseTargetPolicy(
      JSON.stringify({
        version: 1,
        postgres: {
          servers: [pg.port, port].map((p) => ({
            host: '127.0.0.1',
            port: p,
            roles: ['app_role', 'missing_role'],
            connections: Object.keys(connections).map((secret) => ({ vault, secret })),
          })),
        },
      }),
      'policy',
    );
    await pg.createRole('app_role', `Init-${randomUUID()}`);
    await pg.createRole('outsider', `Init-${randomUUID()}`);
    const target = createPostgresTarget({ policy, connectTimeoutMs: 2_000 });
    for (const connection of Object.keys(connections)) {
      for (const role of ['app_role', 'missing_role', 'outsider', 'postgres']) {
        const c = ctx({ 'rotation-account': role, 'rotation-connection': connection }, connections);
        await expectFailure(() => target.precheck?.(c) ?? Promise.resolve());
        await expectFailure(() => target.apply(c, fresh));
        await expectFailure(() => target.verify(c, fresh));
      }
    }
    expect(outputs.length).toBeGreaterThan(50);
  });

  it('entra-app and entra-user: Graph and token endpoint failures, policy refusals', async () => {
    const graph = new GraphClient({
      baseUrl: fake.graphUrl,
      credential: staticTokenCredential(`graph-token-${randomUUID()}`),
      fetch: fake.fetch(),
      maxRetries: 0,
    });
    const app = fake.addApp();
    const existing = fake.addPasswordDirectly(app.id, 'rotator:old');
    values.add(existing.secretText);
    const userPassword = `User-Pw-${randomUUID()}`;
    values.add(userPassword);
    fake.users.set('user@contoso.example', 'Old-User-Pw-1');
    values.add('Old-User-Pw-1');
    const appTarget = createEntraAppTarget({
      graph,
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      verifyWindowMs: 0,
      credentialOptions: fake.credentialOptions(),
    });
    const userTarget = createEntraUserTarget({
      graph,
      tenantId: TENANT,
      authorityHost: fake.authorityHost,
      fetch: fake.fetch(),
    });
    const policy = parseTargetPolicy(JSON.stringify({ version: 1, 'entra-app': { applications: [] } }), 'p');
    const targets: [RotationTarget, string][] = [
      [appTarget, app.id],
      [userTarget, 'user@contoso.example'],
      [guardEntraTarget(appTarget, policy), app.id],
      [guardEntraTarget(userTarget, policy), 'user@contoso.example'],
    ];
    for (const status of [400, 401, 403, 404, 409, 500, 503]) {
      for (const [target, account] of targets) {
        const c = ctx({ 'rotation-account': account });
        fake.failNext(1, status);
        await expectFailure(() => target.apply(c, userPassword));
        fake.failNext(1, status);
        await expectFailure(() => target.verify(c, existing.secretText));
        await expectFailure(() => target.verify(c, userPassword));
        fake.failNext(1, status);
        await expectFailure(() =>
          target.retire(c, { 'rotation-key-id': existing.keyId }, { value: userPassword, tags: {} }),
        );
      }
    }
    await expectFailure(() =>
      userTarget.verify(ctx({ 'rotation-account': 'ghost@contoso.example' }), userPassword),
    );
  });

  it('the CLI: bad and unreachable Redis URLs, tokens, policy files', async () => {
    const key = `k/${randomUUID()}@x%2F`;
    const token = `Vault-Token-${randomUUID()}`;
    const policyValue = `Policy-Pw-${randomUUID()}`;
    for (const v of [key, token, policyValue, ...key.split(/[/@%]/).filter((p) => p.length > 4)])
      values.add(v);
    const badPolicy = join(dir, 'policy.yaml');
    writeFileSync(
      badPolicy,
      `version: 1\npassword: ${policyValue}\npostgres: {servers: [{host: h, password: ${policyValue}}]}\n`,
    );
    const runs: [string[], Record<string, string>][] = [
      [['config'], { REDIS_URL: `rediss://:${key}@cache.example:10000`, ROTATOR_VAULT_TOKEN: token }],
      [
        ['config', '--output', 'json'],
        { REDIS_URL: `rediss://:${encodeURIComponent(key)}@cache.example:10000`, ROTATOR_VAULT_TOKEN: token },
      ],
      [['status'], { REDIS_URL: `redis://:${encodeURIComponent(key)}@cache.example:6379` }],
      [
        ['status'],
        {
          REDIS_URL: `rediss://:${encodeURIComponent(key)}@127.0.0.1:1`,
          ROTATOR_VAULT_URL: 'https://127.0.0.1:1',
          ROTATOR_VAULT_TOKEN: token,
        },
      ],
      [['jobs'], { REDIS_URL: `redis://default:${encodeURIComponent(key)}@127.0.0.1:1` }],
      [
        ['rotate', 'svc-x'],
        {
          REDIS_URL: `redis://:${encodeURIComponent(key)}@127.0.0.1:1`,
          ROTATOR_VAULT_URL: 'https://127.0.0.1:1',
          ROTATOR_VAULT_TOKEN: token,
        },
      ],
      [['status'], { ROTATOR_TARGET_POLICY: badPolicy }],
      [['daemon'], { ROTATOR_TARGET_POLICY: badPolicy, ROTATOR_VAULT_TOKEN: token }],
      [['daemon'], { REDIS_URL: `rediss://:${key}@cache.example:10000`, ROTATOR_VAULT_TOKEN: token }],
    ];
    for (const [args, env] of runs) {
      const result = await runRotator(
        args,
        { ...env, ROTATOR_QUEUE_PREFIX: `redact-${randomUUID().slice(0, 8)}` },
        60_000,
      );
      outputs.push(result.stdout, result.stderr);
      if (args[0] !== 'config') expect(result.code).not.toBe(0);
    }
  }, 240_000);

  afterAll(() => {
    const everything = [...outputs, ...chunks].join('\n');
    const leaked = [...values].filter((v) => everything.includes(v));
    for (const v of leaked) {
      const at = everything.indexOf(v);
      process.stderr.write(`LEAK CONTEXT: ${everything.slice(Math.max(0, at - 600), at + 100)}\n`);
    }
    expect(leaked).toEqual([]);
  });
});
