import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SecretStore } from '../../src/vault';
import {
  startTestIssuer,
  type MintOptions,
  type TestIdentity,
  type TestIssuer,
} from '../../tools/demo/test-issuer';
import { RedisAccessStore } from '../../src/access-store/redis-access-store';
import {
  API_AUDIENCE,
  brokeredEnv,
  forcedRotation,
  PEOPLE,
  rawApi,
  startAccessDaemon,
  type DaemonProcess,
} from '../support/access';
import { runRotator, type CliResult } from '../support/cli-process';
import { emulatorStore, startTestEmulator, vaultEnv, type TestEmulator } from '../support/emulator';
import { deletePrefix, dumpRedis } from '../support/redis-scan';
import type { RawResponse } from '../support/raw-https';
import { pause } from '../support/wait';

const REDIS_URL = 'redis://127.0.0.1:6379/1';
// Every CLI call is a process; on a loaded machine (2 cores, many tests) each takes seconds.
jest.setTimeout(240_000);
const NO_STACK = /\n\s+at /;

describe('zero standing access: request → approve → checkout → forced rotation (processes: daemon with the access API, CLI)', () => {
  let issuer: TestIssuer;
  let emulator: TestEmulator;
  let store: SecretStore;
  let daemon: DaemonProcess;
  let apiUrl: string;
  let apiCa: { caFile: string; caPem: string };
  const prefix = `t-access-${randomUUID().slice(0, 8)}`;
  const released: string[] = [];

  const token = (who: TestIdentity, options: Partial<MintOptions> = {}): Promise<string> =>
    issuer.mint(who, { audience: API_AUDIENCE, ...options });

  /** The CLI in brokered mode, and its stderr free of stack traces. */
  async function cli(args: string[], bearer: string): Promise<CliResult> {
    const result = await runRotator(args, brokeredEnv(apiUrl, apiCa.caFile, bearer));
    expect(result.stderr).not.toMatch(NO_STACK);
    return result;
  }

  async function tags(name: string): Promise<Record<string, string>> {
    return (await store.get(name))?.tags ?? {};
  }

  beforeAll(async () => {
    issuer = await startTestIssuer();
    emulator = await startTestEmulator();
    store = emulatorStore(emulator);
    await store.set('svc-guarded', 'Guarded-initial-1', {
      tags: { 'rotation-target': 'keyvault', 'rotation-approval': 'required' },
    });
    await store.set('svc-bad', 'Bad-initial-2', {
      tags: { 'rotation-target': 'keyvault', 'rotation-approval': 'required' },
    });
    await store.set('svc-open', 'Open-initial-3', { tags: { 'rotation-target': 'keyvault' } });
    await store.set('plain', 'not-managed-4');
    ({ daemon, apiUrl, apiCa } = await startAccessDaemon(
      {
        ...vaultEnv(emulator),
        REDIS_URL,
        ROTATOR_QUEUE_PREFIX: prefix,
        ROTATOR_USAGE_GRACE: 'PT4S',
        ROTATOR_SWEEP_INTERVAL: 'PT5S',
        ROTATOR_RETRY_BACKOFF: 'PT0.2S',
        ROTATOR_APPROVAL_TIMEOUT: 'PT10M',
        ROTATOR_ACCESS_MAX: 'PT1H',
      },
      issuer,
    ));
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
    await deletePrefix(REDIS_URL, prefix);
    await emulator?.close();
    await issuer?.close();
  });

  it('checks a guarded secret out only after another identity approved the request, then rotates it', async () => {
    const bob = await token(PEOPLE.bob);
    const carol = await token(PEOPLE.carol);
    const before = await store.get('svc-guarded');

    const early = await cli(['checkout', 'svc-guarded', '--reason', 'INC-1 fix', '--ticket', 'INC-1'], bob);
    expect({ code: early.code, stdout: early.stdout }).toEqual({ code: 1, stdout: '' });
    expect(early.stderr).toMatch(/^rotator: ACCESS_REFUSED: APPROVAL_REQUIRED: .* — run rotator request/m);

    const requested = await cli(
      ['request', 'svc-guarded', '--reason', 'INC-1 fix', '--ticket', 'INC-1', '--duration', 'PT10M'],
      bob,
    );
    expect(requested.code).toBe(0);
    const id = requested.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const notAnApprover = await cli(['approve', id], bob);
    expect(notAnApprover.code).toBe(1);
    expect(notAnApprover.stderr).toContain('ROLE_MISSING');
    expect(notAnApprover.stderr).toContain('Rotator.Approve');

    const approved = await cli(['approve', id, '--reason', 'ticket checked'], carol);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^${id} approved until \\S+Z?`));

    const replayed = await cli(['approve', id], carol);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toContain('REQUEST_NOT_PENDING');

    const listed = await cli(['requests', '--output', 'json'], carol);
    const rows = JSON.parse(listed.stdout) as Array<{
      id: string;
      state: string;
      approver?: { name: string };
    }>;
    expect(rows.find((r) => r.id === id)).toMatchObject({
      state: 'approved',
      approver: { name: PEOPLE.carol.upn },
    });

    const checkout = await cli(
      ['checkout', 'svc-guarded', '--reason', 'INC-1 fix', '--ticket', 'INC-1'],
      bob,
    );
    expect(checkout.code).toBe(0);
    expect(checkout.stdout).toBe(`${before?.value ?? '?'}\n`);
    released.push(checkout.stdout.trim());
    expect(checkout.stderr).toContain(`under request ${id}`);
    expect((await tags('svc-guarded'))['checked-out-at']).toBeDefined();

    const again = await cli(
      ['checkout', 'svc-guarded', '--reason', 'INC-1 fix', '--ticket', 'INC-1', '--request', id],
      bob,
    );
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 1, stdout: '' });
    expect(again.stderr).toContain('APPROVAL_EXPIRED');

    const rotated = await forcedRotation(store, 'svc-guarded', 30_000);
    expect(rotated.value).not.toBe(before?.value);

    const used = JSON.parse((await cli(['requests', '--output', 'json'], bob)).stdout) as Array<{
      id: string;
      state: string;
    }>;
    expect(used.find((r) => r.id === id)?.state).toBe('used');

    const audit = daemon
      .logs()
      .split('\n')
      .filter((line) => line.includes('"audit"'))
      .map((line) => (JSON.parse(line) as { audit: Record<string, string> }).audit);
    const checkedOut = audit.find(
      (a) => a.action === 'checkout' && a.outcome === 'checked-out' && a.request_id === id,
    );
    expect(checkedOut).toMatchObject({
      actor: PEOPLE.bob.upn,
      actor_id: PEOPLE.bob.oid,
      verified: 'true',
      ticket: 'INC-1',
      approver: PEOPLE.carol.upn,
      approver_id: PEOPLE.carol.oid,
    });
    expect(audit.find((a) => a.action === 'decision' && a.outcome === 'approved')).toMatchObject({
      request_id: id,
      approver_id: PEOPLE.carol.oid,
      verified: 'true',
    });
  });

  it('lets a role holder check out a secret without an approval policy with a reason and a ticket (a workload too)', async () => {
    const result = await cli(
      ['checkout', 'svc-open', '--reason', 'nightly export', '--ticket', 'CHG-7'],
      await token(PEOPLE.batchJob),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Open-initial-3\n');
    released.push('Open-initial-3');
  });

  describe('bad input: refused with a clear error, no usage recorded and no value released', () => {
    const guardedCheckout = ['checkout', 'svc-bad', '--reason', 'INC-9 probe', '--ticket', 'INC-9'];
    /** Requests access to svc-bad as the bearer's identity; resolves with the request id. */
    const requestProbe = async (bearer: string, ...more: string[]): Promise<string> =>
      (
        await cli(['request', 'svc-bad', '--reason', 'INC-9 probe', '--ticket', 'INC-9', ...more], bearer)
      ).stdout.trim();

    afterEach(async () => {
      expect((await tags('svc-bad'))['checked-out-at']).toBeUndefined();
    });

    /** A checkout of svc-bad sent by hand, with what the CLI never sends. */
    const postCheckout = (body: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
      rawApi(apiUrl, apiCa.caPem, { method: 'POST', path: '/v1/secrets/svc-bad/checkout', headers, body });

    it.each<[string, Partial<MintOptions>, string]>([
      ['an expired token', { expiresIn: -600 }, 'TOKEN_EXPIRED'],
      ['a token not valid yet', { notBefore: 600 }, 'TOKEN_NOT_YET_VALID'],
      ['a token for another audience', { audience: 'api://someone-else' }, 'TOKEN_AUDIENCE'],
      [
        'a token from another issuer',
        { claims: { iss: 'https://login.microsoftonline.com/other/v2.0' } },
        'TOKEN_ISSUER',
      ],
      ['an unsigned token (alg none)', { signing: 'none' }, 'TOKEN_ALGORITHM'],
      ['a badly signed token', { signing: 'tampered' }, 'TOKEN_SIGNATURE'],
      ['a token signed by an unknown key', { signing: 'unpublished' }, 'TOKEN_UNKNOWN_KEY'],
    ])('%s', async (_what, options, code) => {
      const result = await cli(guardedCheckout, await token(PEOPLE.bob, options));

      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(new RegExp(`^rotator: ACCESS_REFUSED: ${code}: .* — sign in again`, 'm'));
    });

    it('a missing token: 401 with WWW-Authenticate: Bearer error="invalid_token" and a JSON error', async () => {
      const answer = await postCheckout(JSON.stringify({ reason: 'x', ticket: 'T-1' }));
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      expect(answer.json).toEqual({
        error: { code: 'TOKEN_MISSING', message: expect.any(String) as string },
      });
    });

    it('a self-approval', async () => {
      const self = await token(PEOPLE.erin);
      const id = await requestProbe(self);
      const result = await cli(['approve', id], self);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('SELF_APPROVAL');
      expect((await cli(guardedCheckout, self)).code).toBe(1);
    });

    it('a replayed approval, and a checkout with a denied request', async () => {
      const bob = await token(PEOPLE.bob);
      const carol = await token(PEOPLE.carol);
      const id = await requestProbe(bob);
      const noReason = await cli(['deny', id], carol);
      expect(noReason.code).toBe(2);
      expect((await cli(['deny', id, '--reason', 'not this one'], carol)).code).toBe(0);
      const replay = await cli(['approve', id], carol);
      expect(replay.code).toBe(1);
      expect(replay.stderr).toContain('REQUEST_NOT_PENDING');
      const denied = await cli([...guardedCheckout, '--request', id], bob);
      expect({ code: denied.code, stdout: denied.stdout }).toEqual({ code: 1, stdout: '' });
      expect(denied.stderr).toContain('was denied');
    });

    it('approving an expired request', async () => {
      // A request nobody decided within ROTATOR_APPROVAL_TIMEOUT, as the daemon stored it (written
      // here with a past deadline rather than waiting: this machine's load makes waiting flaky).
      const redis = new Redis(REDIS_URL);
      const id = randomUUID();
      try {
        const past = new Date(Date.now() - 60_000).toISOString();
        await new RedisAccessStore(redis, prefix).create({
          id,
          secret: 'svc-bad',
          vault: emulator.url,
          requester: { id: PEOPLE.bob.oid, name: PEOPLE.bob.upn },
          reason: 'INC-9 probe',
          ticket: 'INC-9',
          duration: 'PT1H',
          durationMs: 3600_000,
          createdAt: new Date(Date.now() - 11 * 60_000).toISOString(),
          decideBy: past,
          state: 'pending',
        });
      } finally {
        redis.disconnect();
      }
      const result = await cli(['approve', id], await token(PEOPLE.carol));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('REQUEST_EXPIRED');
      const checkout = await cli([...guardedCheckout, '--request', id], await token(PEOPLE.bob));
      expect({ code: checkout.code, stdout: checkout.stdout }).toEqual({ code: 1, stdout: '' });
      expect(checkout.stderr).toContain('expired undecided');
    });

    it('a checkout outside the window', async () => {
      const bob = await token(PEOPLE.bob);
      const id = await requestProbe(bob, '--duration', 'PT1S');
      expect((await cli(['approve', id], await token(PEOPLE.carol))).code).toBe(0);
      await pause(1_500);
      const result = await cli([...guardedCheckout, '--request', id], bob);
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(/APPROVAL_EXPIRED: the access window of request .* closed/);
    });

    it('no role, no ticket, --actor in brokered mode', async () => {
      const dave = await cli(
        ['checkout', 'svc-open', '--reason', 'x', '--ticket', 'T-1'],
        await token(PEOPLE.dave),
      );
      expect({ code: dave.code, stdout: dave.stdout }).toEqual({ code: 1, stdout: '' });
      expect(dave.stderr).toMatch(/ROLE_MISSING: .*Rotator\.Checkout/);
      const noTicket = await cli(['checkout', 'svc-bad', '--reason', 'x'], await token(PEOPLE.bob));
      expect(noTicket.code).toBe(1);
      expect(noTicket.stderr).toContain('TICKET_MISSING');
      const actor = await cli([...guardedCheckout, '--actor', 'mallory'], await token(PEOPLE.bob));
      expect(actor.code).toBe(2);
      expect(actor.stderr).toContain('--actor is refused');
    });

    it('an oversized or malformed body', async () => {
      const auth = { authorization: `Bearer ${await token(PEOPLE.bob)}` };
      const huge = await postCheckout(JSON.stringify({ reason: 'x'.repeat(64 * 1024), ticket: 'T-1' }), auth);
      expect(huge.status).toBe(413);
      expect(huge.json).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
      const broken = await postCheckout('{"reason": "x", "ticket": ', auth);
      expect(broken.status).toBe(400);
      expect(broken.json).toMatchObject({ error: { code: 'BODY_MALFORMED' } });
      const extra = await postCheckout(
        JSON.stringify({ reason: 'x', ticket: 'T-1', actor: 'mallory' }),
        auth,
      );
      expect(extra.status).toBe(400);
    });

    it('an unknown or unmanaged secret', async () => {
      const bob = await token(PEOPLE.bob);
      const unknown = await cli(['checkout', 'no-such-secret', '--reason', 'x', '--ticket', 'T-1'], bob);
      expect({ code: unknown.code, stdout: unknown.stdout }).toEqual({ code: 2, stdout: '' });
      expect(unknown.stderr).toContain('SECRET_NOT_FOUND');
      const plain = await cli(['checkout', 'plain', '--reason', 'x', '--ticket', 'T-1'], bob);
      expect({ code: plain.code, stdout: plain.stdout }).toEqual({ code: 2, stdout: '' });
      expect((await tags('plain'))['checked-out-at']).toBeUndefined();
    });
  });

  it('keeps no released value in Redis, in the daemon log or in any job', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const dump = await dumpRedis(redis, `${prefix}:*`);
      expect(dump).toContain(':access:request:');
      for (const value of released) {
        expect(dump).not.toContain(value);
        expect(daemon.logs()).not.toContain(value);
      }
    } finally {
      redis.disconnect();
    }
  });
});
