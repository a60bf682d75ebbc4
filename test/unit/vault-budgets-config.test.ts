import { loadConfig } from '../../src/config';
import { isRotatorError } from '../../src/errors';

const VAULTS = 'https://a.vault.azure.net,https://b.vault.azure.net';

function failure(budgets: string): { code: string; message: string; hint: string; exitCode: number } {
  try {
    loadConfig({ ROTATOR_VAULT_URL: VAULTS, ROTATOR_VAULT_BUDGETS: budgets });
  } catch (error) {
    if (isRotatorError(error))
      return { code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('ROTATOR_VAULT_BUDGETS', () => {
  it("defaults to Key Vault's published limits and a subscription cap of five vaults", () => {
    const { vaultBudgets } = loadConfig({ ROTATOR_VAULT_URL: VAULTS });
    expect(vaultBudgets?.byDefault).toEqual({
      writes: { max: 300, windowMs: 10_000 },
      others: { max: 4_000, windowMs: 10_000 },
    });
    expect(vaultBudgets?.subscription.writes.max).toBe(1_500);
    expect(vaultBudgets?.subscription.others.max).toBe(20_000);
    expect(vaultBudgets?.vaults).toEqual({});
  });

  it('sets a default, a vault of its own and the subscription, each field falling back', () => {
    const { vaultBudgets } = loadConfig({
      ROTATOR_VAULT_URL: VAULTS,
      ROTATOR_VAULT_BUDGETS: JSON.stringify({
        default: { writes: 150, window: 'PT2S' },
        'https://B.vault.azure.net/': { others: 100 },
      }),
    });
    expect(vaultBudgets?.byDefault).toEqual({
      writes: { max: 150, windowMs: 2_000 },
      others: { max: 4_000, windowMs: 2_000 },
    });
    expect(vaultBudgets?.vaults['https://b.vault.azure.net']).toEqual({
      writes: { max: 150, windowMs: 2_000 },
      others: { max: 100, windowMs: 2_000 },
    });
    // Five times the default that was set, unless set itself.
    expect(vaultBudgets?.subscription.writes).toEqual({ max: 750, windowMs: 2_000 });
  });

  it('turns metering off with "off"', () => {
    expect(loadConfig({ ROTATOR_VAULT_BUDGETS: 'off' }).vaultBudgets).toBeUndefined();
  });

  it.each([
    ['{"default":', 'not JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"default":{"writes":0}}', '"default".writes must be a whole number from 1 to 1000000'],
    ['{"default":{"writes":2.5}}', '"default".writes must be a whole number'],
    ['{"default":{"others":"many"}}', '"default".others must be a whole number'],
    ['{"default":{"window":"10s"}}', '"default".window must be an ISO-8601 duration from PT1S to PT1H'],
    ['{"default":{"window":"PT0.5S"}}', 'from PT1S to PT1H'],
    ['{"default":{"reads":10}}', '"default" has an unknown field \'reads\''],
    ['{"subscription":5}', '"subscription" must be an object'],
    ['{"https://c.vault.azure.net":{"writes":1}}', 'nor a vault of ROTATOR_VAULT_URL'],
  ])('refuses %s with a clear reason and the fix', (raw, reason) => {
    const f = failure(raw);
    expect(f.code).toBe('CONFIG_INVALID');
    expect(f.exitCode).toBe(2);
    expect(f.message).toContain('ROTATOR_VAULT_BUDGETS');
    expect(f.message).toContain(reason);
    expect(f.hint).toContain('"writes":300');
  });
});
