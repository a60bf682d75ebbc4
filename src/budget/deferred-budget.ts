import type { RequestClass } from './budget-limits';
import type { BudgetSlot, RequestBudget, SlotDecision } from './request-budget';

const UNMETERED = 'unmetered';

/**
 * The budget the vault clients are built with before Redis is reached: the daemon binds the shared
 * one once connected and unbinds it before Redis closes. Unbound, requests go unmetered (the daemon
 * makes none then: its workers start after the binding and stop before the unbinding).
 */
export class DeferredRequestBudget implements RequestBudget {
  private target: RequestBudget | undefined;

  bind(target: RequestBudget | undefined): void {
    this.target = target;
  }

  take(vault: string, kind: RequestClass): Promise<SlotDecision> {
    if (this.target !== undefined) return this.target.take(vault, kind);
    return Promise.resolve({ granted: true, slot: { vault, kind, id: UNMETERED } });
  }

  async settle(slot: BudgetSlot): Promise<void> {
    if (this.target !== undefined && slot.id !== UNMETERED) await this.target.settle(slot);
  }

  async pause(vault: string, ms: number): Promise<void> {
    await this.target?.pause(vault, ms);
  }
}
