export {
  classOf,
  DEFAULT_BUDGET_LIMITS,
  KEY_VAULT_LIMITS,
  limitsFor,
  scaled,
  SUBSCRIPTION_FACTOR,
  vaultKey,
  type BudgetLimits,
  type ClassLimits,
  type RequestClass,
  type WindowLimit,
} from './budget-limits';
export type { BudgetSlot, RefusedBy, RequestBudget, SlotDecision } from './request-budget';
export { decideSlot, type LogDecision, type LogState } from './sliding-log';
export {
  admitWrite,
  quarterWindowSpread,
  runAdmitted,
  takeAdmittedSlot,
  withAdmittedSlot,
  type AdmissionSpread,
} from './admission';
export { DeferredRequestBudget } from './deferred-budget';
