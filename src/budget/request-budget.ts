import type { RequestClass } from './budget-limits';

/** A slot taken from a vault's budget; settled when its request has its answer. */
export interface BudgetSlot {
  readonly vault: string;
  readonly kind: RequestClass;
  /** Opaque to callers: the adapter's handle on the recorded request. */
  readonly id: string;
}

/** Why a slot was refused: the vault's own budget, the subscription's, or a 429 pause. */
export type RefusedBy = 'vault' | 'subscription' | 'paused';

export type SlotDecision =
  { granted: true; slot: BudgetSlot } | { granted: false; waitMs: number; by: RefusedBy };

/**
 * The request budget of every vault, shared by all replicas (port; src/redis holds the adapter).
 * A slot counts from the moment it is taken until a full window after its request was answered, so a
 * request still in flight, or one that reached the vault late, can never let a later one overlap it.
 */
export interface RequestBudget {
  /** Takes a slot for one request now, or says how long until one may free. */
  take(vault: string, kind: RequestClass): Promise<SlotDecision>;
  /** The request was answered (or failed): its slot now counts from this moment. */
  settle(slot: BudgetSlot): Promise<void>;
  /** The vault answered 429: every replica holds that vault's requests for `ms`. */
  pause(vault: string, ms: number): Promise<void>;
}
