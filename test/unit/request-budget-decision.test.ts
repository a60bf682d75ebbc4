import { classOf, DEFAULT_BUDGET_LIMITS, decideSlot, limitsFor, type BudgetLimits } from '../../src/budget';

const vault = { max: 3, windowMs: 1_000 };
const subscription = { max: 5, windowMs: 1_000 };

describe('the sliding-log decision of a vault request budget', () => {
  it('grants while every log holds fewer than its max requests in the last window', () => {
    const d = decideSlot(
      [
        { limit: vault, times: [100, 200] },
        { limit: subscription, times: [100, 200, 300] },
      ],
      900,
    );
    expect(d).toEqual({ granted: true });
  });

  it('refuses a full vault log until its oldest counted request leaves the window', () => {
    const d = decideSlot([{ limit: vault, times: [100, 200, 300] }], 900);
    expect(d).toEqual({ granted: false, waitMs: 200, by: 'vault' });
  });

  it('no longer counts a request exactly one window old, as the vault does not', () => {
    expect(decideSlot([{ limit: vault, times: [100, 200, 300] }], 1_100)).toEqual({ granted: true });
  });

  it('refuses on the subscription cap when the vault has room, naming it', () => {
    const d = decideSlot(
      [
        { limit: vault, times: [500] },
        { limit: subscription, times: [100, 200, 300, 400, 500] },
      ],
      900,
    );
    expect(d).toEqual({ granted: false, waitMs: 200, by: 'subscription' });
  });

  it('waits for enough entries to leave when a lowered max leaves the log over it', () => {
    const d = decideSlot([{ limit: vault, times: [100, 200, 300, 400, 500] }], 900);
    // Five in the window, max 3: the third (300) must leave too.
    expect(d).toEqual({ granted: false, waitMs: 400, by: 'vault' });
  });

  it('holds every request while a 429 pause runs, whatever the logs say', () => {
    expect(decideSlot([{ limit: vault, times: [] }], 900, 1_500)).toEqual({
      granted: false,
      waitMs: 600,
      by: 'paused',
    });
    expect(decideSlot([{ limit: vault, times: [] }], 1_500, 1_500)).toEqual({ granted: true });
  });
});

describe('what a request counts against', () => {
  const limits: BudgetLimits = {
    ...DEFAULT_BUDGET_LIMITS,
    vaults: { 'https://small.vault.azure.net': { writes: { max: 10, windowMs: 10_000 }, others: vault } },
  };

  it('counts PUT, PATCH, DELETE and POST as writes and reads as other operations', () => {
    expect(['PUT', 'patch', 'DELETE', 'POST'].map(classOf)).toEqual(['write', 'write', 'write', 'write']);
    expect(['GET', 'HEAD'].map(classOf)).toEqual(['other', 'other']);
  });

  it("uses a vault's own budget when configured, the default otherwise, and always the subscription's", () => {
    expect(limitsFor(limits, 'https://SMALL.vault.azure.net/', 'write')).toEqual([
      { max: 10, windowMs: 10_000 },
      { max: 1_500, windowMs: 10_000 },
    ]);
    expect(limitsFor(limits, 'https://other.vault.azure.net', 'other')).toEqual([
      { max: 4_000, windowMs: 10_000 },
      { max: 20_000, windowMs: 10_000 },
    ]);
  });
});
