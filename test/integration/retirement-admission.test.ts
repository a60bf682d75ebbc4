import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime, Duration } from 'luxon';
import pino from 'pino';
import { quarterWindowSpread, takeAdmittedSlot, type BudgetLimits, type BudgetSlot } from '../../src/budget';
import type { Clock } from '../../src/clock';
import { createRotationRunner } from '../../src/daemon/rotation-runner';
import { isRotatorError } from '../../src/errors';
import type { RetirementResult } from '../../src/rotation';
import { OutcomeStore } from '../../src/scheduling/outcome-store';
import {
  createRetirementProcessor,
  RETIRE_JOB,
  RetirementScheduler,
} from '../../src/scheduling/retirement-jobs';
import { MemoryRequestBudget } from '../support/memory-request-budget';
import { MemorySecretStore } from '../support/memory-secret-store';
import { deleteKeys } from '../support/redis-scan';

const A = 'https://a.vault.azure.net';
const WINDOW = 10_000;
const LIMITS: BudgetLimits = {
  byDefault: { writes: { max: 1, windowMs: WINDOW }, others: { max: 10, windowMs: WINDOW } },
  vaults: {},
  subscription: { writes: { max: 10, windowMs: WINDOW }, others: { max: 50, windowMs: WINDOW } },
};
const RETIRED: RetirementResult = { outcome: 'retired', rotationId: 'r1', target: 'keyvault' };

describe('retirement follow-ups under the vault request budget (real Redis and BullMQ)', () => {
  const prefix = `t-retire-admit-${randomUUID().slice(0, 8)}`;
  let redis: Redis;
  let queue: Queue;
  let worker: Worker;
  let budgetNow = 0;
  const clock: Clock = { now: () => DateTime.fromMillis(budgetNow, { zone: 'utc' }) };

  beforeAll(() => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    queue = new Queue('rotations', { connection: redis, prefix });
    // Not run: the test takes each job by hand, as the daemon's worker would, and runs the processor.
    worker = new Worker('rotations', null, { connection: redis, prefix, autorun: false });
  });

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await deleteKeys(redis, `${prefix}:*`);
    redis.disconnect();
  });

  function setUp() {
    budgetNow = 0;
    const budget = new MemoryRequestBudget(LIMITS, () => budgetNow);
    const store = new MemorySecretStore(A);
    const spans: Array<{ secret: string; slot: BudgetSlot | undefined }> = [];
    const { retire } = createRotationRunner(redis, prefix, {
      targets: () => undefined,
      clock,
      defaultIntervalMs: 3_600_000,
      retirements: new RetirementScheduler(queue, clock, 3, Duration.fromISO('PT15M')),
      budget,
      admissionSpread: quarterWindowSpread(LIMITS, () => 0.5),
      // Stands for the engine inside its span: it sees the write slot the retirement was admitted with.
      instrumentRetirement: (_run, request) => {
        spans.push({ secret: request.secret, slot: takeAdmittedSlot(request.vault) });
        return Promise.resolve(RETIRED);
      },
    });
    const outcomes = new OutcomeStore(redis, prefix);
    const processor = createRetirementProcessor({
      stores: [store],
      retire,
      outcomes,
      clock,
      logger: pino({ level: 'silent' }),
      lockedRetryMs: 2_000,
    });
    return { budget, store, spans, retire, outcomes, processor };
  }

  async function activeRetireJob(secret: string): Promise<{ job: Job; token: string }> {
    await queue.add(
      RETIRE_JOB,
      { secret, vault: A, version: 'v1', retireAt: DateTime.utc().toISO() },
      { jobId: `${RETIRE_JOB}.${secret}`, attempts: 1 },
    );
    const token = randomUUID();
    const job = (await worker.getNextJob(token, { block: false })) as Job<{ secret: string }> | undefined;
    if (job?.data.secret !== secret) throw new Error(`expected ${secret} to be the next job`);
    return { job, token };
  }

  it('a retirement job whose vault has no write slot goes back to delayed without spending an attempt', async () => {
    const t = setUp();
    // Another rotation took the vault's one write slot of this window.
    await t.budget.take(A, 'write');
    const { job, token } = await activeRetireJob('spent');
    const before = Date.now();
    await expect(t.processor(job, token)).rejects.toBeInstanceOf(DelayedError);
    const after = Date.now();
    const stored = await queue.getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('delayed');
    expect(stored?.attemptsMade).toBe(0);
    // Waits for the slot to free plus half of a quarter window (the spread), on BullMQ's clock.
    const wakesAt = Number(await redis.zscore(`${prefix}:rotations:delayed`, job.id ?? '')) / 0x1000;
    expect(Math.floor(wakesAt)).toBeGreaterThanOrEqual(before + WINDOW + WINDOW / 8 - 1);
    expect(Math.floor(wakesAt)).toBeLessThanOrEqual(after + WINDOW + WINDOW / 8);
    // Refused before it started: no span, no vault request, no failure recorded.
    expect(t.spans).toEqual([]);
    expect(t.store.calls).toEqual([]);
    expect([...(await t.outcomes.all()).values()].filter((o) => o.jobId === job.id)).toEqual([]);
  });

  it('refuses with VAULT_BUDGET_EXHAUSTED and a spread wake-up, from the same admission as rotations', async () => {
    const t = setUp();
    await t.budget.take(A, 'write');
    budgetNow = 1_000;
    const error: unknown = await t
      .retire({ secretName: 'direct', retiredVersion: 'v1' }, t.store, 'job-1')
      .catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('VAULT_BUDGET_EXHAUSTED');
    expect(isRotatorError(error) && error.retryAfterMs).toBe(WINDOW - 1_000 + WINDOW / 8);
  });

  it('with a write slot free, the retirement is admitted and its first write spends that slot', async () => {
    const t = setUp();
    const { job, token } = await activeRetireJob('admitted');
    await expect(t.processor(job, token)).resolves.toEqual(RETIRED);
    expect(t.spans).toHaveLength(1);
    expect(t.spans[0]?.slot).toMatchObject({ vault: A, kind: 'write' });
    expect(t.budget.calls.filter((c) => c.startsWith('take write'))).toEqual([`take write ${A}`]);
  });
});
