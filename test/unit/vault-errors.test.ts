import { translateVaultError } from '../../src/vault';

function restError(statusCode: number | undefined, headers: Record<string, string> = {}): unknown {
  return { statusCode, code: 'X', response: { headers: { get: (n: string) => headers[n] } } };
}

describe('translateVaultError', () => {
  it('maps 429 to VAULT_THROTTLED and carries the Retry-After delay in the hint', () => {
    const e = translateVaultError(restError(429, { 'retry-after': '7' }), 'https://v', 'set a');
    expect(e.code).toBe('VAULT_THROTTLED');
    expect(e.hint).toContain('7000 ms');
  });

  it('maps 403 to VAULT_FORBIDDEN with the role to grant', () => {
    const e = translateVaultError(restError(403), 'https://v', 'get a');
    expect(e.code).toBe('VAULT_FORBIDDEN');
    expect(e.hint).toContain('rotator-data-actions.json');
  });

  it('maps other 4xx to VAULT_REJECTED and network failures to VAULT_UNREACHABLE', () => {
    expect(translateVaultError(restError(400), 'https://v', 'set a').code).toBe('VAULT_REJECTED');
    expect(translateVaultError(new Error('ECONNREFUSED'), 'https://v', 'get a').code).toBe(
      'VAULT_UNREACHABLE',
    );
    expect(translateVaultError(restError(503), 'https://v', 'get a').code).toBe('VAULT_UNREACHABLE');
  });
});
