/** One sliding-window limit: at most `max` requests in any `windowMs` span. */
export interface WindowLimit {
  max: number;
  windowMs: number;
}

/** A vault's two budgets: Key Vault counts secret writes apart from every other operation. */
export interface ClassLimits {
  writes: WindowLimit;
  others: WindowLimit;
}

/**
 * The request budgets of the configured vaults: one per vault (the default or its own), and one cap
 * over all of them together (Key Vault's subscription-wide limit).
 */
export interface BudgetLimits {
  byDefault: ClassLimits;
  /** Keyed by the vault URL in lower case, without a trailing slash. */
  vaults: Readonly<Record<string, ClassLimits>>;
  subscription: ClassLimits;
}

/** What a request is counted as: PUT, PATCH, DELETE and POST of a secret are writes. */
export type RequestClass = 'write' | 'other';

/** Key Vault's published limits: 300 secret writes and 4,000 other operations per vault per 10 s. */
export const KEY_VAULT_LIMITS: ClassLimits = {
  writes: { max: 300, windowMs: 10_000 },
  others: { max: 4_000, windowMs: 10_000 },
};

/** The subscription-wide cap is five times a vault's budget (Key Vault's service limits). */
export const SUBSCRIPTION_FACTOR = 5;

export function scaled(limits: ClassLimits, factor: number): ClassLimits {
  return {
    writes: { max: limits.writes.max * factor, windowMs: limits.writes.windowMs },
    others: { max: limits.others.max * factor, windowMs: limits.others.windowMs },
  };
}

export const DEFAULT_BUDGET_LIMITS: BudgetLimits = {
  byDefault: KEY_VAULT_LIMITS,
  vaults: {},
  subscription: scaled(KEY_VAULT_LIMITS, SUBSCRIPTION_FACTOR),
};

export function vaultKey(vaultUrl: string): string {
  return vaultUrl.replace(/\/+$/, '').toLowerCase();
}

/** The limits that apply to one request: its vault's, then the subscription's. */
export function limitsFor(limits: BudgetLimits, vaultUrl: string, kind: RequestClass): WindowLimit[] {
  const own = limits.vaults[vaultKey(vaultUrl)] ?? limits.byDefault;
  const pick = (c: ClassLimits): WindowLimit => (kind === 'write' ? c.writes : c.others);
  return [pick(own), pick(limits.subscription)];
}

export function classOf(method: string): RequestClass {
  const m = method.toUpperCase();
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' ? 'other' : 'write';
}
