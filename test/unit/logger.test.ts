import { createLogger } from '../../src/logging';
import { capture } from '../support/log-capture';

describe('createLogger', () => {
  it('writes structured JSON with a level label and an ISO time', () => {
    const out = capture();
    createLogger({ level: 'info' }, out.stream).info({ secret: 'svc-a' }, 'rotated');
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'rotated', secret: 'svc-a', name: 'rotator' });
    expect(typeof line.time).toBe('string');
  });

  it('censors fields that could hold a credential even when passed by mistake', () => {
    const out = capture();
    createLogger({ level: 'info' }, out.stream).info(
      {
        value: 'S3cret!',
        password: 'P4ss',
        nested: { value: 'deep', connectionString: 'Host=x;Password=y' },
      },
      'oops',
    );
    const text = out.text();
    for (const leaked of ['S3cret!', 'P4ss', 'deep', 'Password=y']) expect(text).not.toContain(leaked);
    expect(text).toContain('[redacted]');
  });
});
