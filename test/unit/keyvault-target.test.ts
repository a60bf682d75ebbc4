import { createKeyVaultTarget, KEYVAULT_POLICY } from '../../src/targets/keyvault';
import type { TargetContext } from '../../src/rotation';

const ctx: TargetContext = {
  secretName: 'app-key',
  vaultUrl: 'https://example.vault.azure.net',
  tags: {},
  rotationId: 'r1',
  readSibling: () => Promise.resolve(undefined),
};

describe('keyvault target', () => {
  const target = createKeyVaultTarget();

  it('describes itself', () => {
    expect(target.kind).toBe('keyvault');
    expect(target.policy).toBe(KEYVAULT_POLICY);
    expect(target.external).toBe(false);
    expect(target.requiredTags).toEqual([]);
  });

  it('applies the generated value, accepts it and retires nothing', async () => {
    const applied = await target.apply(ctx, 'value-123');
    expect(applied).toEqual({ value: 'value-123', tags: {} });
    await expect(target.verify(ctx, 'value-123')).resolves.toEqual({ accepted: true });
    await expect(target.retire(ctx, {}, applied)).resolves.toBeUndefined();
  });

  it('refuses to apply without a value', async () => {
    await expect(target.apply(ctx, undefined)).rejects.toThrow();
  });
});
