import { rawRequest, restError, startTestEmulator, useTestEmulator } from '../support/emulator';

const kv = useTestEmulator();

describe('Key Vault secrets emulator, driven by the real SecretClient', () => {
  test('answers an unauthenticated request with the Key Vault bearer challenge', async () => {
    const res = await rawRequest(kv.emu, { method: 'GET', path: '/secrets?api-version=7.5' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
    );
    expect(res.json).toMatchObject({ error: { code: 'Unauthorized' } });
  });

  test('set then get returns the value with a 32-hex versioned id and integer-second timestamps', async () => {
    const set = await kv.client.setSecret('Db-Password', 'hunter2', {
      contentType: 'text/plain',
      tags: { owner: 'team-a' },
    });
    expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(set.properties.id).toBe(`${kv.emu.url}/secrets/Db-Password/${set.properties.version}`);
    const wire = await rawRequest(kv.emu, {
      method: 'GET',
      path: `/secrets/Db-Password/${set.properties.version}?api-version=7.5`,
      headers: { authorization: 'Bearer x' },
    });
    const attrs = (wire.json as { attributes: Record<string, unknown> }).attributes;
    expect(Number.isInteger(attrs['created'])).toBe(true);
    expect(Number.isInteger(attrs['updated'])).toBe(true);
    expect(attrs).toMatchObject({
      enabled: true,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    });
    const got = await kv.client.getSecret('db-password');
    expect(got.value).toBe('hunter2');
    expect(got.name).toBe('Db-Password');
    expect(got.properties.contentType).toBe('text/plain');
    expect(got.properties.tags).toEqual({ owner: 'team-a' });
    expect(got.properties.recoveryLevel).toBe('Recoverable+Purgeable');
    expect(got.properties.recoverableDays).toBe(90);
  });

  test('latest follows the newest version and older versions stay readable by version', async () => {
    const v1 = await kv.client.setSecret('rotating', 'one');
    const v2 = await kv.client.setSecret('rotating', 'two');
    expect((await kv.client.getSecret('rotating')).value).toBe('two');
    expect((await kv.client.getSecret('rotating', { version: v1.properties.version ?? '' })).value).toBe(
      'one',
    );
    expect((await kv.client.getSecret('rotating', { version: v2.properties.version ?? '' })).value).toBe(
      'two',
    );
    const trailing = await rawRequest(kv.emu, {
      method: 'GET',
      path: '/secrets/rotating/?api%2Dversion=7.5',
      headers: { authorization: 'Bearer x' },
    });
    expect(trailing.status).toBe(200);
    expect(trailing.json).toMatchObject({ value: 'two' });
  });

  test('nbf and exp round-trip as dates', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const expiresOn = new Date('2031-01-01T00:00:00Z');
    await kv.client.setSecret('dated', 'v', { notBefore, expiresOn });
    const got = await kv.client.getSecret('dated');
    expect(got.properties.notBefore).toEqual(notBefore);
    expect(got.properties.expiresOn).toEqual(expiresOn);
  });

  test('updateSecretProperties changes attributes and tags without returning the value', async () => {
    const v = await kv.client.setSecret('updatable', 'x');
    const updated = await kv.client.updateSecretProperties('updatable', v.properties.version ?? '', {
      contentType: 'application/json',
      tags: { rotated: 'yes' },
    });
    expect(updated.contentType).toBe('application/json');
    expect(updated.tags).toEqual({ rotated: 'yes' });
    expect((await kv.client.getSecret('updatable')).properties.tags).toEqual({ rotated: 'yes' });
  });

  test('getting a disabled version is 403 Forbidden while its properties still list', async () => {
    const v = await kv.client.setSecret('switch-off', 'secret');
    await kv.client.updateSecretProperties('switch-off', v.properties.version ?? '', { enabled: false });
    const err = await restError(kv.client.getSecret('switch-off'));
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('Forbidden');
    expect(err.message).toContain('Operation get is not allowed on a disabled secret.');
    const versions = [];
    for await (const p of kv.client.listPropertiesOfSecretVersions('switch-off')) versions.push(p);
    expect(versions.map((p) => p.enabled)).toEqual([false]);
  });

  test('unknown secret or version is 404 SecretNotFound', async () => {
    expect((await restError(kv.client.getSecret('nobody-here'))).code).toBe('SecretNotFound');
    await kv.client.setSecret('has-one', 'v');
    const err = await restError(kv.client.getSecret('has-one', { version: '0'.repeat(32) }));
    expect(err.statusCode).toBe(404);
  });

  test('lists more than 25 secrets over pages of 10 with unversioned ids and no values', async () => {
    for (let i = 0; i < 30; i++) await kv.client.setSecret(`page-${String(i).padStart(2, '0')}`, `v${i}`);
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of kv.client.listPropertiesOfSecrets().byPage({ maxPageSize: 10 })) {
      pages.push(page.length);
      for (const p of page) {
        ids.push(p.id ?? '');
        expect((p as unknown as Record<string, unknown>)['value']).toBeUndefined();
      }
    }
    expect(pages.every((n) => n <= 10)).toBe(true);
    const paged = ids.filter((id) => id.includes('/secrets/page-'));
    expect(paged).toHaveLength(30);
    expect(new Set(ids).size).toBe(ids.length);
    expect(paged[0]).toBe(`${kv.emu.url}/secrets/page-00`);
  });

  test('lists versions with versioned ids, and an unknown name as an empty list', async () => {
    const a = await kv.client.setSecret('versioned', 'a');
    const b = await kv.client.setSecret('versioned', 'b');
    const ids: string[] = [];
    for await (const p of kv.client.listPropertiesOfSecretVersions('versioned')) ids.push(p.id ?? '');
    expect(ids.sort()).toEqual([a.properties.id, b.properties.id].sort());
    const none = [];
    for await (const p of kv.client.listPropertiesOfSecretVersions('never-existed')) none.push(p);
    expect(none).toEqual([]);
  });

  test('a requiredToken rejects other bearer tokens with a 401 challenge', async () => {
    const strict = await startTestEmulator({ requiredToken: 'the-token' });
    try {
      const err = await restError(strict.client().getSecret('anything'));
      expect(err.statusCode).toBe(401);
      const ok = await rawRequest(strict, {
        method: 'GET',
        path: '/secrets?api-version=7.5',
        headers: { authorization: 'Bearer the-token' },
      });
      expect(ok.status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  test('counts served operations per name', async () => {
    kv.emu.resetCounters();
    await kv.client.setSecret('counted', 'v');
    await kv.client.getSecret('counted');
    await kv.client.getSecret('counted');
    expect(kv.emu.counters()).toMatchObject({ setSecret: 1, getSecret: 2 });
  });
});
