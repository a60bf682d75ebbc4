import fc from 'fast-check';
import { generateValue, resolveLength, type GenerationPolicy } from '../../src/rotation/generate-value';
import { ENTRA_USER_POLICY } from '../../src/targets/entra-user';
import { KEYVAULT_POLICY } from '../../src/targets/keyvault';
import { POSTGRES_POLICY } from '../../src/targets/postgres';

/** Every target's own policy (entra-app has none: Graph generates its passwords). */
const POLICIES = { keyvault: KEYVAULT_POLICY, postgres: POSTGRES_POLICY, 'entra-user': ENTRA_USER_POLICY };
const policies: GenerationPolicy[] = Object.values(POLICIES);

describe('generateValue', () => {
  it.each(policies.map((p) => [p.name, p] as const))(
    'gives %s values of the asked length, from its alphabet, holding every required class',
    (_name, policy) => {
      fc.assert(
        fc.property(fc.integer({ min: policy.minLength, max: Math.min(policy.maxLength, 200) }), (length) => {
          const value = generateValue(policy, length);
          expect(value).toHaveLength(length);
          for (const ch of value) expect(policy.alphabet).toContain(ch);
          for (const cls of policy.required) expect([...value].some((ch) => cls.includes(ch))).toBe(true);
        }),
        { numRuns: 200 },
      );
    },
  );

  it('keeps PostgreSQL values free of quotes, backslashes, spaces and connection-string separators', () => {
    const value = generateValue(POLICIES.postgres, 99);
    expect(value).not.toMatch(/['"\\\s;=@:/]/);
  });

  it('keeps Key Vault-only values URL-safe', () => {
    const value = generateValue(POLICIES.keyvault, 256);
    expect(encodeURIComponent(value)).toBe(value);
  });

  it('never repeats a value across many draws', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateValue(POLICIES.keyvault, 32)));
    expect(seen.size).toBe(2000);
  });
});

describe('resolveLength', () => {
  it('defaults to 32 and accepts a tag inside the policy bounds', () => {
    expect(resolveLength(POLICIES.keyvault, undefined)).toBe(32);
    expect(resolveLength(POLICIES.postgres, '64')).toBe(64);
  });

  it('rejects lengths the target would refuse, naming the bounds', () => {
    expect(() => resolveLength(POLICIES.postgres, '8')).toThrow('16..99');
    expect(() => resolveLength(POLICIES['entra-user'], '300')).toThrow('16..256');
    expect(() => resolveLength(POLICIES.keyvault, 'long')).toThrow('rotation-length');
  });
});
