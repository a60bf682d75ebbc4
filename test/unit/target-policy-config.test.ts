import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig, maskUrlCredentials } from '../../src/config';
import { isRotatorError, type RotatorError } from '../../src/errors';
import { connectionVaults } from '../../src/policy';

function failure(env: Record<string, string>): RotatorError {
  try {
    loadConfig(env);
  } catch (error) {
    if (isRotatorError(error)) return error;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

const dir = mkdtempSync(join(tmpdir(), 'rotator-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const YAML_POLICY = `
version: 1
postgres:
  servers:
    - host: db.internal.example
      port: 5432
      roles: [app_reporting]
      memberOf: [rotated_accounts]
      connections:
        - vault: https://admin-vault.vault.azure.net/
          secret: pg-admin
entra-app:
  applications: [11111111-1111-4111-8111-111111111111]
entra-user:
  administrativeUnits: [88888888-8888-4888-8888-888888888888]
`;

describe('ROTATOR_TARGET_POLICY', () => {
  it('reads a YAML policy, filling defaults (verify-full only, port 5432)', () => {
    const config = loadConfig({ ROTATOR_TARGET_POLICY: file('policy.yaml', YAML_POLICY) });
    const server = config.targetPolicy?.postgres?.servers[0];
    expect(server?.sslmodes).toEqual(['verify-full']);
    expect(server?.connections).toEqual([
      { vault: 'https://admin-vault.vault.azure.net', secret: 'pg-admin' },
    ]);
    expect(config.targetPolicy?.['entra-user']?.users).toEqual([]);
    expect(connectionVaults({ ...config, vaultUrls: ['https://managed.vault.azure.net'] })).toEqual([
      'https://admin-vault.vault.azure.net',
    ]);
  });

  it('reads the same policy as JSON', () => {
    const config = loadConfig({
      ROTATOR_TARGET_POLICY: file(
        'policy.json',
        JSON.stringify({ version: 1, 'entra-app': { applications: [] } }),
      ),
    });
    expect(config.targetPolicy?.['entra-app']?.applications).toEqual([]);
  });

  it('leaves the policy undefined when unset: external targets are then refused', () => {
    expect(loadConfig({}).targetPolicy).toBeUndefined();
  });

  it('stops with exit 2 naming the file when it is missing', () => {
    const error = failure({ ROTATOR_TARGET_POLICY: join(dir, 'nope.yaml') });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('nope.yaml');
    expect(error.message).toContain('does not exist');
  });

  (userInfo().uid === 0 ? it.skip : it)('stops with exit 2 when it is unreadable', () => {
    const path = file('locked.yaml', YAML_POLICY);
    chmodSync(path, 0o000);
    const error = failure({ ROTATOR_TARGET_POLICY: path });
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('cannot be read');
  });

  it('stops with exit 2 when it is a directory (unreadable as a file)', () => {
    const error = failure({ ROTATOR_TARGET_POLICY: dir });
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('cannot be read');
  });

  it.each([
    ['not YAML at all', 'version: 1\n  postgres: [', 'neither valid JSON nor YAML'],
    ['an unknown key', 'version: 1\nentra-apps: {applications: []}', 'entra-apps'],
    ['a wrong version', 'version: 2', 'version'],
    [
      'a non-GUID application',
      "version: 1\nentra-app: {applications: ['my-app']}",
      'entra-app.applications.0',
    ],
    [
      'a server with no roles',
      'version: 1\npostgres: {servers: [{host: h, connections: [{vault: "https://v.vault.azure.net", secret: s}]}]}',
      'names no roles',
    ],
    [
      'an http vault',
      'version: 1\npostgres: {servers: [{host: h, roles: [r], connections: [{vault: "http://v", secret: s}]}]}',
      'vault',
    ],
    [
      'an unknown sslmode',
      'version: 1\npostgres: {servers: [{host: h, roles: [r], sslmodes: [tls], connections: []}]}',
      'sslmodes',
    ],
  ])('stops with exit 2 naming the problem for %s', (_what, text, expected) => {
    const error = failure({ ROTATOR_TARGET_POLICY: file(`bad-${Math.random()}.yaml`, text) });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('ROTATOR_TARGET_POLICY');
    expect(error.message).toContain(expected);
  });
});

describe('REDIS_URL', () => {
  it.each([
    ['redis://127.0.0.1:6379'],
    ['redis://localhost:6379/3'],
    ['redis://[::1]:6379'],
    ['rediss://:k@cache.example:10000'],
  ])('accepts %s', (url) => {
    expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
  });

  it('requires rediss:// for a host that is not loopback', () => {
    const error = failure({ REDIS_URL: 'redis://:Plain-Key-1@cache.example:6379' });
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('rediss://');
    expect(error.message).not.toContain('Plain-Key-1');
  });

  it.each([
    ['a slash', 'Kq7x/Zx9w+Wm=='],
    ['a slash after digits', '1234/Zx9wQ'],
    ['an at sign', 'Kq7x@Zx9w'],
    ['a percent', 'Kq7x%zz%Wm9q'],
    ['a hash and a colon', 'Kq7x#Zx9w:Wm9q?Tt5r'],
  ])('never prints a key holding %s, in a bad URL or anywhere else', (_what, key) => {
    for (const url of [`rediss://:${key}@cache.example:10000`, `redis://default:${key}@cache.example:6379`]) {
      let text = '';
      try {
        loadConfig({ REDIS_URL: url });
        text = maskUrlCredentials(url);
      } catch (error) {
        text = isRotatorError(error) ? error.toOneLine() : String(error);
      }
      for (const part of key.split(/[/@%#:?+=]/).filter((p) => p.length >= 4))
        expect(text).not.toContain(part);
    }
  });

  it('masks by structure: userinfo up to the last @, query dropped', () => {
    expect(maskUrlCredentials('rediss://:a/b@c@cache.example:10000/0?password=x')).toBe(
      'rediss://***@cache.example:10000/0',
    );
    expect(maskUrlCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrlCredentials('no scheme at all')).toBe('***');
  });
});
