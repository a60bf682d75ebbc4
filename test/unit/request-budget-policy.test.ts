import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { AbortError, type AbortSignalLike } from '@azure/abort-controller';
import { admitWrite, quarterWindowSpread, withAdmittedSlot, type BudgetLimits } from '../../src/budget';
import { isRotatorError } from '../../src/errors';
import { retryAfterMs } from '../../src/http';
import { requestBudgetPolicy, type BudgetPolicyOptions } from '../../src/vault/budget-policy';
import { MemoryRequestBudget } from '../support/memory-request-budget';

const A = 'https://a.vault.azure.net';
const B = 'https://b.vault.azure.net';
const window = 10_000;
const LIMITS: BudgetLimits = {
  byDefault: { writes: { max: 2, windowMs: window }, others: { max: 3, windowMs: window } },
  vaults: {},
  subscription: { writes: { max: 10, windowMs: window }, others: { max: 10, windowMs: window } },
};

/**
 * A clock that only moves when the policy sleeps: every wait is exact and instant. A wait given a
 * signal the test will abort (`hold`) instead stays pending until that abort, as the SDK's `delay` does.
 */
function setUp(maxWaitMs = 60_000) {
  let now = 0;
  const slept: number[] = [];
  const budget = new MemoryRequestBudget(LIMITS, () => now);
  const held = new Set<AbortSignalLike>();
  const sleep: BudgetPolicyOptions['sleep'] = (ms, { abortSignal, abortErrorMsg }) => {
    slept.push(ms);
    if (abortSignal !== undefined && held.has(abortSignal))
      return new Promise((_, reject) =>
        abortSignal.addEventListener('abort', () => reject(new AbortError(abortErrorMsg))),
      );
    now += ms;
    return Promise.resolve();
  };
  const policy = (vault: string) =>
    requestBudgetPolicy(vault, budget, { sleep, maxWaitMs, defaultPauseMs: 1_000, now: () => now });
  const sent: Array<{ at: number; method: string }> = [];
  const answer =
    (status = 200, headers: Record<string, string> = {}) =>
    (request: PipelineRequest): Promise<PipelineResponse> => {
      sent.push({ at: now, method: request.method });
      now += 5; // the vault takes 5 ms to answer
      return Promise.resolve({ request, status, headers: createHttpHeaders(headers) });
    };
  const send = (
    vault: string,
    method: 'GET' | 'PUT',
    status = 200,
    headers = {},
    abortSignal?: AbortSignal,
  ) =>
    policy(vault).sendRequest(
      createPipelineRequest({ url: `${vault}/secrets/x`, method, abortSignal }),
      answer(status, headers),
    );
  const hold = (signal: AbortSignal) => held.add(signal);
  return { budget, send, sent, slept, hold, advance: (ms: number) => (now += ms) };
}

describe('the request budget policy of the Key Vault client', () => {
  it('counts each request as it is sent and waits for a slot instead of sending over the budget', async () => {
    const t = setUp();
    for (let i = 0; i < 3; i += 1) await t.send(A, 'PUT');
    // Two writes per window: the third waits until a full window after the first was answered.
    expect(t.sent.map((s) => s.at)).toEqual([0, 5, 10_005]);
    expect(t.slept).toEqual([10_000 - 5]);
  });

  it('counts writes and other operations apart', async () => {
    const t = setUp();
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    await t.send(A, 'GET');
    await t.send(A, 'GET');
    expect(t.slept).toEqual([]);
  });

  it('keeps each vault to its own budget: a spent vault does not hold another', async () => {
    const t = setUp();
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    await t.send(B, 'PUT');
    expect(t.slept).toEqual([]);
  });

  it("pauses only that vault after a 429, for its Retry-After, on every caller's budget", async () => {
    const t = setUp();
    await t.send(A, 'GET', 429, { 'retry-after': '3' });
    expect(t.budget.calls).toContain(`pause ${A} 3000`);
    await t.send(B, 'GET');
    expect(t.slept).toEqual([]);
    await t.send(A, 'GET');
    // The pause started when the 429 came back (5 ms after it was sent).
    expect(t.slept).toEqual([3_000 - 5]);
  });

  it('pauses for a default when a 429 names no Retry-After', async () => {
    const t = setUp();
    await t.send(A, 'GET', 429);
    expect(t.budget.calls).toContain(`pause ${A} 1000`);
  });

  it('spends the write slot a rotation was admitted with on its first write, and no second one', async () => {
    const t = setUp();
    const slot = await admitWrite(t.budget, A);
    await withAdmittedSlot(slot, async () => {
      await t.send(A, 'GET');
      await t.send(A, 'PUT');
      await t.send(A, 'PUT');
    });
    const takes = t.budget.calls.filter((c) => c.startsWith('take write'));
    // One take at admission, one for the second PUT: the first PUT used the admitted slot.
    expect(takes).toHaveLength(2);
    expect(t.slept).toEqual([]);
  });

  it('refuses admission when the vault has no write slot, saying how long until one frees', async () => {
    const t = setUp();
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    t.advance(1_000);
    const error: unknown = await admitWrite(t.budget, A).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('VAULT_BUDGET_EXHAUSTED');
    expect(isRotatorError(error) && error.retryAfterMs).toBe(10_000 - 1_000 - 5);
  });

  it('spreads refused jobs past the first free slot, so they do not all wake for that one slot', async () => {
    const t = setUp();
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    const spread = quarterWindowSpread(LIMITS, () => 0.5);
    const error: unknown = await admitWrite(t.budget, A, spread).catch((e: unknown) => e);
    // Half of a quarter of the 10 s window.
    expect(isRotatorError(error) && error.retryAfterMs).toBe(10_000 - 5 + 1_250);
  });

  it('gives up as a throttled (transient) failure when the slot stays away longer than its bound', async () => {
    const t = setUp(1_000);
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    const error: unknown = await t.send(A, 'PUT').catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('VAULT_THROTTLED');
    expect(t.sent).toHaveLength(2);
  });
});

describe('an aborted request and the budget policy', () => {
  const takes = (t: ReturnType<typeof setUp>) => t.budget.calls.filter((c) => c.startsWith('take')).length;

  it('stops waiting for a slot when its request is aborted, with the SDK AbortError, and takes none', async () => {
    const t = setUp();
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    const controller = new AbortController();
    t.hold(controller.signal);
    const waiting = t.send(A, 'PUT', 200, {}, controller.signal).catch((e: unknown) => e);
    // Let the refused take happen and the wait begin, then abort it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.slept).toEqual([10_000 - 5]);
    const takesBefore = takes(t);
    controller.abort();
    const error = await waiting;
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).name).toBe('AbortError');
    expect(takes(t)).toBe(takesBefore);
    expect(t.sent).toHaveLength(2);
  });

  it('takes no slot at all, nor the admitted one, for a request aborted before it is sent', async () => {
    const t = setUp();
    const controller = new AbortController();
    controller.abort();
    const slot = await admitWrite(t.budget, A);
    await withAdmittedSlot(slot, async () => {
      const error: unknown = await t.send(A, 'PUT', 200, {}, controller.signal).catch((e: unknown) => e);
      expect((error as Error).name).toBe('AbortError');
      // The admitted slot is still there for the rotation's next write.
      await t.send(A, 'PUT');
    });
    expect(t.budget.calls.filter((c) => c.startsWith('take write'))).toHaveLength(1);
    expect(t.sent).toHaveLength(1);
  });

  it('stops waiting even when the wait itself ignores the signal: no slot is taken after the abort', async () => {
    const t = setUp();
    await t.send(A, 'PUT');
    await t.send(A, 'PUT');
    const controller = new AbortController();
    // A wait that resolves as usual, the abort arriving during it.
    const error: unknown = await requestBudgetPolicy(A, t.budget, {
      sleep: () => {
        controller.abort();
        return Promise.resolve();
      },
      maxWaitMs: 60_000,
      defaultPauseMs: 1_000,
      now: () => 0,
    })
      .sendRequest(
        createPipelineRequest({ url: `${A}/secrets/x`, method: 'PUT', abortSignal: controller.signal }),
        () => Promise.reject(new Error('must not be sent')),
      )
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    // The two sends and the one refused take before the wait: none after it.
    expect(t.budget.calls.filter((c) => c.startsWith('take write'))).toHaveLength(3);
  });
});

describe("reading a 429's wait", () => {
  const headers = (h: Record<string, string>) => createHttpHeaders(h);

  it('takes retry-after-ms, seconds and an HTTP date', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250' }), 0)).toBe(250);
    expect(retryAfterMs(headers({ 'x-ms-retry-after-ms': '40' }), 0)).toBe(40);
    expect(retryAfterMs(headers({ 'retry-after': '2' }), 0)).toBe(2_000);
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 01 Dec 2026 10:00:05 GMT' }), now)).toBe(5_000);
  });

  it('says nothing for a missing or unreadable header', () => {
    expect(retryAfterMs(headers({}), 0)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), 0)).toBeUndefined();
  });
});
