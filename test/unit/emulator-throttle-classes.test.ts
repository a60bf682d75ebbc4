import { FaultController, requestKind } from '../../src/emulator/faults';

describe('the emulator throttles like Key Vault: writes and other operations apart', () => {
  function controller(options: ConstructorParameters<typeof FaultController>[0]) {
    let now = 0;
    return { faults: new FaultController(options, () => now), at: (t: number) => (now = t) };
  }

  it('tells writes (PUT, PATCH, DELETE, POST) from other operations', () => {
    expect(['PUT', 'PATCH', 'DELETE', 'POST'].map(requestKind)).toEqual(['write', 'write', 'write', 'write']);
    expect(['GET', undefined].map(requestKind)).toEqual(['other', 'other']);
  });

  it('answers 429 once the write budget is spent while reads still go through', () => {
    const { faults } = controller({ writeBudget: 2, otherBudget: 3, throttleWindowMs: 1_000 });
    expect(faults.decide('write')).toBeUndefined();
    expect(faults.decide('write')).toBeUndefined();
    expect(faults.decide('write')?.kind).toBe('throttled');
    expect([1, 2, 3].map(() => faults.decide('other'))).toEqual([undefined, undefined, undefined]);
    expect(faults.decide('other')?.error.status).toBe(429);
  });

  it('slides: a write a full window after the first fits again, with Retry-After until then', () => {
    const { faults, at } = controller({ writeBudget: 1, throttleWindowMs: 2_000 });
    at(100);
    expect(faults.decide('write')).toBeUndefined();
    at(1_100);
    expect(faults.decide('write')?.error.headers).toEqual({ 'retry-after': '1' });
    at(2_100);
    expect(faults.decide('write')).toBeUndefined();
  });

  it('keeps the one budget over all requests working, on top of the class budgets', () => {
    const { faults } = controller({ throttleBudget: 2, writeBudget: 5, throttleWindowMs: 1_000 });
    expect(faults.decide('write')).toBeUndefined();
    expect(faults.decide('other')).toBeUndefined();
    expect(faults.decide('write')?.kind).toBe('throttled');
  });

  it('refuses a class budget that is not a number, changing nothing', () => {
    const { faults } = controller({ writeBudget: 1 });
    expect(() => faults.set({ writeBudget: -1 })).toThrow('writeBudget');
    expect(faults.get()).toEqual({ writeBudget: 1 });
  });
});
