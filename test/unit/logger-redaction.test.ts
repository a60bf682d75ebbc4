import { RotatorError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { capture } from '../support/log-capture';

const VALUE = 'Leaked-Value-7f3a';

describe('log redaction by structure', () => {
  it('censors credential fields at any depth, whatever their case', () => {
    const out = capture();
    createLogger({ level: 'info' }, out.stream).info(
      {
        a: { b: { c: { d: { value: VALUE } } } },
        request: { headers: { Authorization: `Bearer ${VALUE}`, 'X-Api-Key': VALUE, Cookie: VALUE } },
        list: [{ Password: VALUE }, { client_secret: VALUE }, { secretText: VALUE }],
        secret: 'svc-orders-api',
      },
      'nested',
    );
    const text = out.text();
    expect(text).not.toContain(VALUE);
    expect(text).toContain('svc-orders-api');
  });

  it('walks the cause chain of an error and masks what its messages and stacks hold', () => {
    const out = capture();
    const root = new Error(`connect failed for postgres://admin:${VALUE}@db.example:5432/app`);
    const middle = Object.assign(new Error('pool error', { cause: root }), { config: { password: VALUE } });
    const top = new RotatorError('TARGET_UNREACHABLE', 'PostgreSQL unreachable', {
      hint: 'retry',
      cause: middle,
    });
    createLogger({ level: 'info' }, out.stream).error({ err: top, nested: { error: middle } }, 'failed');
    const text = out.text();
    expect(text).not.toContain(VALUE);
    const line = JSON.parse(text) as { err: { code: string; cause: { cause: { message: string } } } };
    expect(line.err.code).toBe('TARGET_UNREACHABLE');
    expect(line.err.cause.cause.message).toContain('postgres://***@db.example:5432/app');
  });

  it('masks URL credentials and password= pairs in messages, bindings and fields', () => {
    const out = capture();
    const key = `ab/cd@${VALUE}%2F`;
    const logger = createLogger({ level: 'info' }, out.stream).child({
      redis: `rediss://:${key}@cache.example:10000`,
    });
    logger.info(
      { conn: `Host=db;Username=u;Password=${VALUE};SslMode=Require` },
      `using rediss://:${key}@cache.example:10000`,
    );
    logger
      .child({ job: 'j1' })
      .child({ conn: `postgres://u:${VALUE}@h/db` })
      .info('grandchild');
    const text = out.text();
    expect(text).not.toContain(VALUE);
    expect(text).toContain('cache.example:10000');
    const last = JSON.parse(text.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(last).toMatchObject({
      job: 'j1',
      conn: 'postgres://***@h/db',
      redis: 'rediss://***@cache.example:10000',
    });
  });
});
