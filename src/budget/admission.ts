import { AsyncLocalStorage } from 'node:async_hooks';
import { RotatorError } from '../errors';
import { limitsFor, vaultKey, type BudgetLimits } from './budget-limits';
import type { BudgetSlot, RequestBudget } from './request-budget';

/** How far past the first free slot a refused job's wake-up is spread, at random. */
export interface AdmissionSpread {
  maxMs(vault: string): number;
  random(): number;
}

const NO_SPREAD: AdmissionSpread = { maxMs: () => 0, random: () => 0 };

/** A quarter of the vault's write window: long enough to part a herd, short next to the window. */
export function quarterWindowSpread(limits: BudgetLimits | undefined, random: () => number): AdmissionSpread {
  return {
    maxMs: (vault) => (limits === undefined ? 0 : (limitsFor(limits, vault, 'write')[0]?.windowMs ?? 0) / 4),
    random,
  };
}

/** The write slot a rotation was admitted with, handed to its first write request. */
const admitted = new AsyncLocalStorage<{ slot: BudgetSlot | undefined }>();

/**
 * Admits a rotation to a vault: takes one write slot now, or throws VAULT_BUDGET_EXHAUSTED (with how
 * long until a slot frees) so the worker puts the job back to delayed instead of holding its slot
 * while one vault's budget is spent, and other vaults' jobs run meanwhile.
 */
export async function admitWrite(
  budget: RequestBudget,
  vault: string,
  spread: AdmissionSpread = NO_SPREAD,
): Promise<BudgetSlot> {
  const decision = await budget.take(vault, 'write');
  if (decision.granted) return decision.slot;
  // Jobs refused together would all wake when the next one slot frees, and all but one be refused
  // again: spread them over part of a window instead.
  const retryAfterMs = decision.waitMs + Math.floor(spread.random() * spread.maxMs(vault));
  throw new RotatorError(
    'VAULT_BUDGET_EXHAUSTED',
    `the write budget of ${vault} is spent (${decision.by === 'paused' ? 'paused after a 429' : `${decision.by} budget`})`,
    {
      hint: 'the job waits without spending an attempt; raise ROTATOR_VAULT_BUDGETS only if the vault allows more',
      retryAfterMs,
    },
  );
}

/**
 * Runs a job's `work` (a rotation or a retirement follow-up) once its vault admits it with a write
 * slot, which its first write then spends; without a budget, runs it at once. A refusal throws
 * VAULT_BUDGET_EXHAUSTED before `work` starts, so the caller's span and requests never begin.
 */
export async function runAdmitted<T>(
  budget: RequestBudget | undefined,
  vault: string,
  work: () => Promise<T>,
  spread: AdmissionSpread = NO_SPREAD,
): Promise<T> {
  if (budget === undefined) return work();
  return withAdmittedSlot(await admitWrite(budget, vault, spread), work);
}

/** Runs `work` with `slot` waiting for its first write request to the slot's vault. */
export function withAdmittedSlot<T>(slot: BudgetSlot, work: () => Promise<T>): Promise<T> {
  return admitted.run({ slot }, work);
}

/** The admitted slot for a write to `vault`, once: the first write of an admitted rotation spends it. */
export function takeAdmittedSlot(vault: string): BudgetSlot | undefined {
  const holder = admitted.getStore();
  const slot = holder?.slot;
  if (holder === undefined || slot === undefined || vaultKey(slot.vault) !== vaultKey(vault))
    return undefined;
  holder.slot = undefined;
  return slot;
}
