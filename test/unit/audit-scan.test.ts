import { Duration, type DateTime } from 'luxon';
import pino from 'pino';
import { scanAuditLog, UNBROKERED_REASON, type ScanDeps, type UseFinding } from '../../src/audit-watch';
import { ManualClock } from '../../src/clock/clock';
import { RotatorError } from '../../src/errors';
import type { RotationLock } from '../../src/rotation/rotation-lock';
import { recordUsage } from '../../src/scheduling/record-usage';
import type { PlannedJob, RotationScheduler } from '../../src/scheduling/rotation-scheduler';
import { isRotatorRequestId, rotatorRequestId } from '../../src/vault';
import { auditRow, FakeAuditLog, MemoryWatchState } from '../support/audit-fakes';
import { MemorySecretStore } from '../support/memory-secret-store';

const VAULT = 'https://kv-main.vault.azure.net';
const OTHER_VAULT = 'https://kv-elsewhere.vault.azure.net';
const SELF_OID = '11111111-1111-4111-8111-111111111111';
const READER_OID = '22222222-2222-4222-8222-222222222222';
const STRANGER_OID = '33333333-3333-4333-8333-333333333333';
const GRACE = Duration.fromObject({ minutes: 30 });

/** The scheduler's surface the recording path uses, keeping the forced rotations it was given. */
class FakeScheduler {
  readonly jobs = new Map<string, PlannedJob>();
  plan(
    kind: string,
    vault: string,
    secret: string,
    at: { triggeredAt: DateTime; dueAt: DateTime; idStamp: DateTime | string },
    extra: Record<string, string | undefined> = {},
  ): PlannedJob {
    const stamp = typeof at.idStamp === 'string' ? at.idStamp : String(at.idStamp.toMillis());
    return {
      id: `${kind}.${secret.toLowerCase()}.${stamp}`,
      runAt: at.dueAt,
      data: {
        secret,
        vault,
        reason: 'usage',
        triggeredAt: at.triggeredAt.toISO() ?? '',
        dueAt: at.dueAt.toISO() ?? '',
        ...extra,
      },
    };
  }
  add(jobs: PlannedJob[]): Promise<void> {
    for (const job of jobs) if (!this.jobs.has(job.id)) this.jobs.set(job.id, job);
    return Promise.resolve();
  }
}

const freeLock: RotationLock = {
  acquire: () => Promise.resolve({ held: () => true, release: () => Promise.resolve() }),
};

function secretUri(name: string, vault = VAULT): string {
  return `${vault}/secrets/${name}/0123456789abcdef0123456789abcdef`;
}

function claims(oid: string | undefined, extra: Record<string, string> = {}): unknown {
  return { claim: { ...(oid !== undefined && { oid }), ...extra } };
}

describe('one scan of the audit log', () => {
  let clock: ManualClock;
  let log: FakeAuditLog;
  let state: MemoryWatchState;
  let store: MemorySecretStore;
  let scheduler: FakeScheduler;
  let findings: UseFinding[];
  let deps: ScanDeps;

  beforeEach(async () => {
    clock = new ManualClock('2026-12-01T12:00:00Z');
    log = new FakeAuditLog(() => clock.now());
    state = new MemoryWatchState();
    store = new MemorySecretStore(VAULT);
    scheduler = new FakeScheduler();
    findings = [];
    const rotatedAt = clock.now().minus({ days: 1 }).toISO() ?? '';
    await store.set('svc-billing', 'v1', {
      tags: { 'rotation-target': 'keyvault', 'rotated-at': rotatedAt, 'rotation-readers': READER_OID },
    });
    await store.set('plain-config', 'v1', { tags: {} });
    deps = {
      source: log,
      state,
      stores: [store],
      record: (s, usage) =>
        recordUsage(
          {
            scheduler: scheduler as unknown as RotationScheduler,
            tagLock: freeLock,
            grace: GRACE,
            sleep: () => Promise.resolve(),
          },
          s,
          usage,
        ),
      clock,
      self: { objectIds: [SELF_OID], appIds: [] },
      isRotatorRequestId,
      requestIdPrefix: 'a0707a70-',
      logger: pino({ level: 'silent' }),
      overlap: Duration.fromObject({ minutes: 10 }),
      lookback: Duration.fromObject({ hours: 24 }),
      futureSkew: Duration.fromObject({ minutes: 5 }),
      pageSize: 100,
      maxPages: 50,
      onUse: (f) => findings.push(f),
    };
    await state.advance(clock.now());
  });

  async function checkedOutAt(): Promise<string | undefined> {
    return (await store.get('svc-billing'))?.tags['checked-out-at'];
  }

  it("makes a read by someone outside rotation-readers a use, counted from the row's own time", async () => {
    const readAt = clock.now().minus({ minutes: 2 });
    log.add(
      auditRow({
        time: readAt,
        id: secretUri('svc-billing'),
        identity: claims(STRANGER_OID, { upn: 'eve@contoso.com' }),
      }),
    );
    const summary = await scanAuditLog(deps);
    expect(summary).toMatchObject({ rows: 1, uses: 1, secretsUsed: 1, failed: 0 });
    expect(await checkedOutAt()).toBe(readAt.toISO());
    const [job] = [...scheduler.jobs.values()];
    expect(job?.runAt.toISO()).toBe(readAt.plus(GRACE).toISO());
    expect(job?.data).toMatchObject({ reason: 'usage', note: UNBROKERED_REASON });
    expect(job?.data.requestedBy).toContain('eve@contoso.com');
    expect(findings).toEqual([
      expect.objectContaining({ secret: 'svc-billing', reads: 1, actorId: STRANGER_OID, satisfied: false }),
    ]);
  });

  it('leaves routine reads alone: listed readers, and the rotator with its mark and its identity', async () => {
    const at = clock.now().minus({ minutes: 1 });
    log.add(auditRow({ time: at, id: secretUri('svc-billing'), identity: claims(READER_OID) }));
    log.add(
      auditRow({
        time: at,
        id: secretUri('svc-billing'),
        identity: claims(SELF_OID),
        correlationId: rotatorRequestId(),
      }),
    );
    const summary = await scanAuditLog(deps);
    expect(summary).toMatchObject({ rows: 2, routine: 2, uses: 0 });
    expect(await checkedOutAt()).toBeUndefined();
    expect(scheduler.jobs.size).toBe(0);
  });

  it("counts the rotator's mark sent by another identity, and the rotator's identity without its mark", async () => {
    const at = clock.now().minus({ minutes: 1 });
    log.add(
      auditRow({
        time: at,
        id: secretUri('svc-billing'),
        identity: claims(STRANGER_OID),
        correlationId: rotatorRequestId(),
      }),
    );
    log.add(
      auditRow({ time: at.plus({ seconds: 1 }), id: secretUri('svc-billing'), identity: claims(SELF_OID) }),
    );
    expect(await scanAuditLog(deps)).toMatchObject({ uses: 2, routine: 0 });
    expect(findings.map((f) => f.actorId).sort()).toEqual([SELF_OID, STRANGER_OID].sort());
  });

  it('makes a row with missing claims a use by an unknown actor', async () => {
    log.add(
      auditRow({
        time: clock.now().minus({ minutes: 1 }),
        id: secretUri('svc-billing'),
        identity: undefined,
        correlationId: 'no-claims-1',
      }),
    );
    log.add(
      auditRow({
        time: clock.now().minus({ minutes: 1 }),
        id: secretUri('svc-billing'),
        identity: { claim: null },
        correlationId: 'no-claims-2',
      }),
    );
    expect(await scanAuditLog(deps)).toMatchObject({ uses: 2, secretsUsed: 1 });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.actor).toMatch(/^unknown/);
    expect(findings[0]?.reads).toBe(2);
    expect(await checkedOutAt()).toBeDefined();
  });

  it('changes nothing for unknown, deleted or unmanaged secrets and for vaults it does not manage', async () => {
    await store.set('gone-soon', 'v', { tags: { 'rotation-target': 'keyvault' } });
    store.delete('gone-soon');
    const at = clock.now().minus({ minutes: 1 });
    for (const id of [
      secretUri('never-existed'),
      secretUri('gone-soon'),
      secretUri('plain-config'),
      secretUri('svc-billing', OTHER_VAULT),
      `${VAULT}/keys/some-key/1`,
    ]) {
      log.add(auditRow({ time: at, id, identity: claims(STRANGER_OID) }));
    }
    expect(await scanAuditLog(deps)).toMatchObject({ rows: 5, ignored: 5, uses: 0 });
    expect(scheduler.jobs.size).toBe(0);
    expect(findings).toEqual([]);
  });

  it('makes a flood of 1,000 reads of one secret in a minute one forced rotation', async () => {
    const start = clock.now().minus({ minutes: 2 });
    for (let i = 0; i < 1000; i += 1) {
      log.add(
        auditRow({
          time: start.plus({ milliseconds: i * 60 }),
          id: secretUri('svc-billing'),
          correlationId: `req-${i}`,
          identity: claims(STRANGER_OID),
        }),
      );
    }
    const summary = await scanAuditLog(deps);
    expect(summary).toMatchObject({ uses: 1000, secretsUsed: 1 });
    expect(scheduler.jobs.size).toBe(1);
    expect(findings).toEqual([expect.objectContaining({ reads: 1000, firstReadAt: start.toISO() })]);
    expect(await checkedOutAt()).toBe(start.toISO());
    // The tags were looked up once, however many rows named the secret.
    expect(store.calls.filter((c) => c === 'get svc-billing').length).toBeLessThanOrEqual(4);
  });

  it('treats duplicate rows of one read (same request id and object) as one use, within a scan and across scans', async () => {
    const row = auditRow({
      time: clock.now().minus({ minutes: 1 }),
      id: secretUri('svc-billing'),
      correlationId: 'dup-1',
      identity: claims(STRANGER_OID),
    });
    log.add(row);
    log.add({ ...row });
    expect(await scanAuditLog(deps)).toMatchObject({ uses: 1 });
    clock.advance('PT1M');
    // The overlap window reads the same rows again: they are already claimed.
    expect(await scanAuditLog(deps)).toMatchObject({ rows: 2, uses: 0 });
    expect(findings).toHaveLength(1);
  });

  it('keeps its place when the workspace is throttled or unreachable, and finds the row on the next scan', async () => {
    const readAt = clock.now().minus({ minutes: 1 });
    log.add(auditRow({ time: readAt, id: secretUri('svc-billing'), identity: claims(STRANGER_OID) }));
    const before = state.mark;
    log.failNext(
      new RotatorError('AUDIT_THROTTLED', 'throttled', { hint: 'wait', retryAfterMs: 30_000 }),
      new RotatorError('AUDIT_UNREACHABLE', 'down', { hint: 'wait' }),
    );
    clock.advance('PT1M');
    await expect(scanAuditLog(deps)).rejects.toMatchObject({ code: 'AUDIT_THROTTLED' });
    clock.advance('PT20M');
    await expect(scanAuditLog(deps)).rejects.toMatchObject({ code: 'AUDIT_UNREACHABLE' });
    expect(state.mark).toEqual(before);
    clock.advance('PT1M');
    expect(await scanAuditLog(deps)).toMatchObject({ uses: 1 });
    expect(await checkedOutAt()).toBe(readAt.toISO());
  });

  it('reads a use again when the vault refused to record it, so a due row is never dropped', async () => {
    const readAt = clock.now().minus({ minutes: 1 });
    log.add(auditRow({ time: readAt, id: secretUri('svc-billing'), identity: claims(STRANGER_OID) }));
    // The tag look-up succeeds, then the recording's own read meets a throttled vault.
    const throttled = new RotatorError('VAULT_THROTTLED', 'throttled', { hint: 'wait' });
    const get = store.get.bind(store);
    let calls = 0;
    store.get = (name, version) => (++calls === 2 ? Promise.reject(throttled) : get(name, version));
    expect(await scanAuditLog(deps)).toMatchObject({ failed: 1, uses: 0 });
    // The watermark stays within one overlap of the held read, so the next scan reads it again.
    expect((state.mark as DateTime) <= readAt.plus(deps.overlap)).toBe(true);
    clock.advance('PT1M');
    expect(await scanAuditLog(deps)).toMatchObject({ uses: 1, failed: 0 });
    expect(await checkedOutAt()).toBe(readAt.toISO());
  });

  it('does not lose a read claimed by a replica that died before recording it', async () => {
    const readAt = clock.now().minus({ minutes: 1 });
    log.add(auditRow({ time: readAt, id: secretUri('svc-billing'), identity: claims(STRANGER_OID) }));
    // The replica claims the read, then dies inside the recording (nothing returns, nothing is given back).
    const dying = scanAuditLog({ ...deps, record: () => new Promise(() => undefined) });
    for (let i = 0; i < 100 && state.claimed.size === 0; i += 1)
      await new Promise((resolve) => setImmediate(resolve));
    expect(state.claimed.size).toBe(1);
    void dying;
    state.lapseUnconfirmed();
    clock.advance('PT3M');
    expect(await scanAuditLog(deps)).toMatchObject({ uses: 1 });
    expect(await checkedOutAt()).toBe(readAt.toISO());
  });

  it('counts a row stamped in our future (log clock ahead) from now, and one stamped behind from its own time', async () => {
    log.add(
      auditRow({
        time: clock.now().plus({ minutes: 3 }),
        id: secretUri('svc-billing'),
        identity: claims(STRANGER_OID),
      }),
    );
    await scanAuditLog(deps);
    expect(await checkedOutAt()).toBe(clock.now().toISO());

    const behind = clock.now().minus({ minutes: 8 });
    await store.set('svc-two', 'v1', {
      tags: { 'rotation-target': 'keyvault', 'rotated-at': clock.now().minus({ days: 1 }).toISO() ?? '' },
    });
    log.add(auditRow({ time: behind, id: secretUri('svc-two'), identity: claims(STRANGER_OID) }), {
      seconds: 30,
    });
    clock.advance('PT1M');
    await scanAuditLog(deps);
    expect((await store.get('svc-two'))?.tags['checked-out-at']).toBe(behind.toISO());
  });

  it('finds a late row, ingested after the scan that covered its time, through the overlap window', async () => {
    const readAt = clock.now().minus({ seconds: 20 });
    log.add(auditRow({ time: readAt, id: secretUri('svc-billing'), identity: claims(STRANGER_OID) }), {
      minutes: 4,
    });
    expect(await scanAuditLog(deps)).toMatchObject({ rows: 0 });
    for (let i = 0; i < 4; i += 1) {
      clock.advance('PT1M');
      await scanAuditLog(deps);
    }
    expect(findings).toHaveLength(1);
    // Counted from the read, not from when it was seen: the forced rotation is not four minutes late.
    expect([...scheduler.jobs.values()][0]?.runAt.toISO()).toBe(readAt.plus(GRACE).toISO());
  });

  it('rebuilds its place from a bounded lookback when Redis is lost, and finds a read made meanwhile', async () => {
    const readAt = clock.now().minus({ hours: 3 });
    log.add(auditRow({ time: readAt, id: secretUri('svc-billing'), identity: claims(STRANGER_OID) }));
    state.forget();
    const summary = await scanAuditLog(deps);
    expect(summary.from).toBe(clock.now().minus({ hours: 24, minutes: 10 }).toISO());
    expect(summary.uses).toBe(1);
    expect(await checkedOutAt()).toBe(readAt.toISO());
  });

  it('follows full pages to the end of the range without skipping a row', async () => {
    const start = clock.now().minus({ minutes: 5 });
    const names = ['svc-a', 'svc-b', 'svc-c'];
    for (const name of names) await store.set(name, 'v', { tags: { 'rotation-target': 'keyvault' } });
    for (let i = 0; i < 250; i += 1) {
      log.add(
        auditRow({
          time: start.plus({ seconds: i }),
          id: secretUri('svc-billing'),
          identity: claims(READER_OID),
        }),
      );
    }
    names.forEach((name, i) =>
      log.add(
        auditRow({
          time: start.plus({ seconds: 100 * i + 50 }),
          id: secretUri(name),
          identity: claims(STRANGER_OID),
        }),
      ),
    );
    const summary = await scanAuditLog({ ...deps, pageSize: 100 });
    expect(summary.pages).toBeGreaterThanOrEqual(3);
    expect(summary.secretsUsed).toBe(3);
    expect(findings.map((f) => f.secret).sort()).toEqual(names);
  });
});
