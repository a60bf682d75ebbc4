import {
  DEFAULT_BUDGET_LIMITS,
  scaled,
  SUBSCRIPTION_FACTOR,
  vaultKey,
  type BudgetLimits,
  type ClassLimits,
} from '../budget';
import { parseIsoDuration } from './duration';

/** One entry of ROTATOR_VAULT_BUDGETS as written; each field falls back to the default's. */
interface LimitsInput {
  writes?: unknown;
  others?: unknown;
  window?: unknown;
}

const FIELDS = new Set(['writes', 'others', 'window']);
const MIN_WINDOW_MS = 1_000;
const MAX_WINDOW_MS = 3_600_000;

export type BudgetsResult = { ok: true; limits: BudgetLimits | undefined } | { ok: false; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(where: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1_000_000)
    throw new Error(`${where}.${field} must be a whole number from 1 to 1000000`);
  return value;
}

function windowMs(where: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' ? parseIsoDuration(value) : undefined;
  if (parsed === undefined || parsed.ms < MIN_WINDOW_MS || parsed.ms > MAX_WINDOW_MS)
    throw new Error(`${where}.window must be an ISO-8601 duration from PT1S to PT1H`);
  return parsed.ms;
}

function limits(where: string, input: unknown, base: ClassLimits): ClassLimits {
  if (!isObject(input)) throw new Error(`${where} must be an object such as {"writes":300,"others":4000}`);
  const unknown = Object.keys(input).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) throw new Error(`${where} has an unknown field '${unknown}'`);
  const { writes, others, window } = input as LimitsInput;
  const ms = (fallback: number): number => windowMs(where, window, fallback);
  return {
    writes: { max: count(where, 'writes', writes, base.writes.max), windowMs: ms(base.writes.windowMs) },
    others: { max: count(where, 'others', others, base.others.max), windowMs: ms(base.others.windowMs) },
  };
}

function vaultEntries(
  input: Record<string, unknown>,
  byDefault: ClassLimits,
  vaultUrls: readonly string[],
): Record<string, ClassLimits> {
  const configured = new Set(vaultUrls.map(vaultKey));
  const vaults: Record<string, ClassLimits> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'default' || key === 'subscription') continue;
    if (!configured.has(vaultKey(key)))
      throw new Error(`'${key}' is neither "default", "subscription" nor a vault of ROTATOR_VAULT_URL`);
    vaults[vaultKey(key)] = limits(`"${key}"`, value, byDefault);
  }
  return vaults;
}

/**
 * ROTATOR_VAULT_BUDGETS: `off`, or a JSON object whose keys are `default` (every vault's budget),
 * `subscription` (the cap over all of them, 5× the default unless set) and vault URLs (their own).
 * Unset: Key Vault's published limits.
 */
export function parseVaultBudgets(raw: string | undefined, vaultUrls: readonly string[]): BudgetsResult {
  if (raw === undefined) return { ok: true, limits: DEFAULT_BUDGET_LIMITS };
  if (raw === 'off') return { ok: true, limits: undefined };
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  try {
    if (!isObject(input)) throw new Error('not a JSON object');
    const byDefault = limits('"default"', input.default ?? {}, DEFAULT_BUDGET_LIMITS.byDefault);
    const subscription = limits(
      '"subscription"',
      input.subscription ?? {},
      scaled(byDefault, SUBSCRIPTION_FACTOR),
    );
    return {
      ok: true,
      limits: { byDefault, subscription, vaults: vaultEntries(input, byDefault, vaultUrls) },
    };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
