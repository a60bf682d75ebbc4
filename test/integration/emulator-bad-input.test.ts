import { request } from 'node:https';
import { authed, rawRequest, restError, useTestEmulator } from '../support/emulator';

const kv = useTestEmulator();

const API = 'api-version=7.5';

function put(path: string, body: string | Buffer, contentType = 'application/json') {
  return rawRequest(kv.emu, { method: 'PUT', path, headers: authed({ 'content-type': contentType }), body });
}

function expectKvError(res: { status: number; json: unknown }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: { code, message: expect.any(String) as unknown } });
}

afterEach(async () => {
  // Whatever the previous request did, the emulator must still serve a normal client.
  const client = kv.emu.client();
  await client.setSecret('still-alive', 'yes');
  expect((await client.getSecret('still-alive')).value).toBe('yes');
});

describe('the emulator rejects bad input in Key Vault error shape and keeps serving', () => {
  test('malformed JSON is 400 BadParameter', async () => {
    expectKvError(await put(`/secrets/ok?${API}`, '{"value": "x"'), 400, 'BadParameter');
  });

  test('a JSON body that is not an object is 400 BadParameter', async () => {
    expectKvError(await put(`/secrets/ok?${API}`, '["x"]'), 400, 'BadParameter');
    expectKvError(await put(`/secrets/ok?${API}`, '{"value": 42}'), 400, 'BadParameter');
  });

  test('a non-JSON content type is 400 BadParameter', async () => {
    expectKvError(await put(`/secrets/ok?${API}`, '{"value":"x"}', 'text/plain'), 400, 'BadParameter');
  });

  test('a body over 1 MB is refused with 413 without being read', async () => {
    const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
    expectKvError(await put(`/secrets/ok?${API}`, huge), 413, 'RequestEntityTooLarge');
  });

  test('a chunked body that grows past 1 MB is cut off: 413 or a reset, never buffered', async () => {
    const url = new URL(kv.emu.url);
    const outcome = await new Promise<string>((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: `/secrets/ok?${API}`,
          ca: kv.emu.caPem,
          agent: false,
          headers: authed({ 'content-type': 'application/json' }),
        },
        (res) => {
          res.resume();
          resolve(String(res.statusCode));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = (): void => {
        while (sent < 40) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(['413', 'ECONNRESET', 'EPIPE']).toContain(outcome);
  });

  test.each([
    ['/secrets/..%2F..%2Fetc', 'encoded slash'],
    ['/secrets/a/../b', 'dot segment'],
    ['/secrets/%2e%2e', 'encoded dots'],
    ['/secrets//x', 'empty segment'],
    ['/secrets/a%5Cb', 'encoded backslash'],
    ['/secrets/%E0%A4%A', 'broken percent-encoding'],
  ])('path trick %s (%s) is 400 BadParameter', async (path) => {
    const res = await rawRequest(kv.emu, { method: 'GET', path: `${path}?${API}`, headers: authed() });
    expectKvError(res, 400, 'BadParameter');
  });

  test.each([['bad_name'], ['has.dot'], ['x'.repeat(128)], ['sp%20ace']])(
    'invalid secret name %s is 400 BadParameter',
    async (name) => {
      expectKvError(await put(`/secrets/${name}?${API}`, '{"value":"x"}'), 400, 'BadParameter');
    },
  );

  test('a 127-character name is accepted', async () => {
    expect((await put(`/secrets/${'x'.repeat(127)}?${API}`, '{"value":"x"}')).status).toBe(200);
  });

  test('a missing api-version is 400 BadParameter, and api%2Dversion is understood', async () => {
    expectKvError(await put('/secrets/ok', '{"value":"x"}'), 400, 'BadParameter');
    expect((await put('/secrets/ok?api%2Dversion=7.5', '{"value":"x"}')).status).toBe(200);
  });

  test('unknown paths and wrong methods get Key Vault-shaped 404 and 405', async () => {
    expectKvError(
      await rawRequest(kv.emu, { method: 'GET', path: `/keys?${API}`, headers: authed() }),
      404,
      'NotFound',
    );
    expectKvError(
      await rawRequest(kv.emu, { method: 'POST', path: `/secrets/ok?${API}`, headers: authed() }),
      405,
      'MethodNotAllowed',
    );
  });

  test('limits on tags, value size and contentType are enforced through the SDK', async () => {
    const client = kv.emu.client();
    const tags16 = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
    expect((await restError(client.setSecret('tags', 'v', { tags: tags16 }))).code).toBe('BadParameter');
    const tags15 = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, 'v']));
    await expect(client.setSecret('tags', 'v', { tags: tags15 })).resolves.toBeDefined();

    expect(
      (await restError(client.setSecret('tags', 'v', { tags: { ['n'.repeat(513)]: 'v' } }))).statusCode,
    ).toBe(400);
    expect(
      (await restError(client.setSecret('tags', 'v', { tags: { n: 'v'.repeat(513) } }))).statusCode,
    ).toBe(400);
    await expect(
      client.setSecret('tags', 'v', { tags: { ['n'.repeat(256)]: 'v'.repeat(512) } }),
    ).resolves.toBeDefined();

    expect((await restError(client.setSecret('big', 'x'.repeat(25 * 1024 + 1)))).statusCode).toBe(400);
    await expect(client.setSecret('big', 'x'.repeat(25 * 1024))).resolves.toBeDefined();

    expect((await restError(client.setSecret('ct', 'v', { contentType: 'c'.repeat(256) }))).statusCode).toBe(
      400,
    );
  });

  test('maxresults outside 1..25 is 400 BadParameter', async () => {
    const res = await rawRequest(kv.emu, {
      method: 'GET',
      path: `/secrets?${API}&maxresults=26`,
      headers: authed(),
    });
    expectKvError(res, 400, 'BadParameter');
  });
});
