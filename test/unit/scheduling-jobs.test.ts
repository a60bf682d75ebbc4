import { DateTime } from 'luxon';
import { RotatorError } from '../../src/errors';
import { retryDelayMs } from '../../src/scheduling/backoff';
import { rotationJobSchema, usageEventSchema, describeIssues } from '../../src/scheduling/job-data';
import { rotationJobId, secretKey, vaultSuffix } from '../../src/scheduling/job-ids';

describe('deterministic job ids', () => {
  it('give one id per trigger of one secret, case-insensitively, and differ across vaults', () => {
    const at = DateTime.fromISO('2026-11-23T00:00:00Z');
    const a = rotationJobId('usage', secretKey('https://a.vault.azure.net', 'Svc-One'), at);
    const b = rotationJobId('usage', secretKey('https://A.vault.azure.net', 'svc-one'), at);
    const c = rotationJobId('usage', secretKey('https://b.vault.azure.net', 'svc-one'), at);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('never contain a colon nor are all digits (BullMQ forbids both)', () => {
    const id = rotationJobId('scheduled', secretKey('https://127.0.0.1:8443', '123'), DateTime.fromMillis(5));
    expect(id).not.toContain(':');
    expect(id).not.toMatch(/^\d+$/);
  });

  it('share a per-vault suffix, so a sweep can tell its vault’s entries apart', () => {
    expect(secretKey('https://v1', 'x').endsWith(vaultSuffix('https://v1'))).toBe(true);
    expect(secretKey('https://v1', 'x').endsWith(vaultSuffix('https://v2'))).toBe(false);
  });
});

describe('retry backoff', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000, random: () => 1 };

  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, new Error('x'), policy))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(retryDelayMs(30, new Error('x'), policy)).toBe(60_000);
  });

  it('jitters between half and the whole delay', () => {
    expect(retryDelayMs(3, new Error('x'), { ...policy, random: () => 0 })).toBe(2_000);
  });

  it('honours Retry-After from the vault over its own schedule', () => {
    const throttled = new RotatorError('VAULT_THROTTLED', 'slow down', { hint: 'wait', retryAfterMs: 7_000 });
    expect(retryDelayMs(1, throttled, policy)).toBe(7_000);
  });
});

describe('job and event schemas', () => {
  it('accept the contract’s usage event and reject what is malformed with every problem named', () => {
    expect(
      usageEventSchema.safeParse({
        secret: 'svc-a',
        actor: 'alice',
        reason: 'INC-1',
        at: '2026-11-23T10:00:00Z',
      }).success,
    ).toBe(true);
    const bad = usageEventSchema.safeParse({ secret: 'a b', actor: '', at: 'yesterday' });
    expect(bad.success).toBe(false);
    if (!bad.success) {
      const text = describeIssues(bad.error);
      for (const field of ['secret', 'actor', 'reason', 'at']) expect(text).toContain(field);
    }
  });

  it('have no field that could carry a value', () => {
    const keys = [...Object.keys(rotationJobSchema.shape), ...Object.keys(usageEventSchema.shape)];
    expect(keys.filter((k) => /value|password|secretValue/i.test(k))).toEqual([]);
  });
});
