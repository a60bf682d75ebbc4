import {
  decideSlot,
  limitsFor,
  vaultKey,
  type BudgetLimits,
  type BudgetSlot,
  type RequestBudget,
  type RequestClass,
  type SlotDecision,
} from '../../src/budget';

/**
 * The request budget in one process, on a clock the test moves: the same sliding-log rule as the
 * Redis script, and a call log the test can read.
 */
export class MemoryRequestBudget implements RequestBudget {
  readonly calls: string[] = [];
  private readonly logs = new Map<string, Map<string, number>>();
  private readonly pauses = new Map<string, number>();
  private sequence = 0;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly now: () => number,
  ) {}

  private keys(vault: string, kind: RequestClass): string[] {
    return [`${vaultKey(vault)}:${kind}`, `subscription:${kind}`];
  }

  private log(key: string): Map<string, number> {
    const log = this.logs.get(key) ?? new Map<string, number>();
    this.logs.set(key, log);
    return log;
  }

  take(vault: string, kind: RequestClass): Promise<SlotDecision> {
    this.calls.push(`take ${kind} ${vault}`);
    const keys = this.keys(vault, kind);
    const states = limitsFor(this.limits, vault, kind).map((limit, i) => ({
      limit,
      times: [...this.log(keys[i] ?? '').values()].sort((a, b) => a - b),
    }));
    const decision = decideSlot(states, this.now(), this.pauses.get(vaultKey(vault)) ?? 0);
    if (!decision.granted) return Promise.resolve(decision);
    const id = String((this.sequence += 1));
    for (const key of keys) this.log(key).set(id, this.now());
    return Promise.resolve({ granted: true, slot: { vault, kind, id } });
  }

  settle(slot: BudgetSlot): Promise<void> {
    this.calls.push(`settle ${slot.kind} ${slot.id}`);
    for (const key of this.keys(slot.vault, slot.kind)) this.log(key).set(slot.id, this.now());
    return Promise.resolve();
  }

  pause(vault: string, ms: number): Promise<void> {
    this.calls.push(`pause ${vault} ${ms}`);
    const until = this.now() + ms;
    this.pauses.set(vaultKey(vault), Math.max(until, this.pauses.get(vaultKey(vault)) ?? 0));
    return Promise.resolve();
  }
}
