import { retryAfterMs } from '../../src/http';

describe('retryAfterMs, the one Retry-After reading of the vault, Log Analytics and Graph adapters', () => {
  it('reads a fetch Headers object, where an absent header is null', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), 0)).toBe(3_000);
    expect(retryAfterMs(new Headers(), 0)).toBeUndefined();
  });

  it('prefers the millisecond headers Azure sends over Retry-After', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '120', 'retry-after': '9' }), 0)).toBe(120);
  });

  it('reads an HTTP date against the given now', () => {
    const now = Date.parse('Tue, 01 Dec 2026 10:00:00 GMT');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 10:00:02 GMT' }), now)).toBe(2_000);
  });

  it('gives no answer for a negative or unparsable delay, and for no headers at all', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '-5' }), 0)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after-ms': 'abc' }), 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
});
