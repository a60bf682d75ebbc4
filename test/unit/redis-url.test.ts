import { maskRedisUrl } from '../../src/redis';

describe('maskRedisUrl', () => {
  it('hides the user and password of a Redis URL, whatever characters they hold', () => {
    expect(maskRedisUrl('redis://user:hunter2@redis:6379/0')).toBe('redis://***@redis:6379/0');
    expect(maskRedisUrl('rediss://:p%40ss@cache.example:10000')).toBe('rediss://***@cache.example:10000');
    expect(maskRedisUrl('redis://:a@b@host:6379')).not.toContain('a@b');
  });

  it('leaves a URL without credentials as it was written', () => {
    expect(maskRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('shows nothing of a URL it cannot parse', () => {
    expect(maskRedisUrl('not a url with pass@word')).toBe('(unparseable URL)');
  });
});
