import { rawRequest, restError, startTestEmulator, useTestEmulator } from '../support/emulator';

const kv = useTestEmulator('per-test');

describe('emulator fault injection', () => {
  test('throttling with Retry-After is absorbed by the SDK retry, and counted', async () => {
    kv.emu.setFaults({ throttleBudget: 3, throttleWindowMs: 1000 });
    const client = kv.emu.client();
    for (let i = 0; i < 6; i++) await client.setSecret(`burst-${i}`, 'v');
    const counters = kv.emu.counters();
    expect(counters['setSecret']).toBe(6);
    expect(counters['throttled']).toBeGreaterThan(0);
  });

  test('a throttled answer is 429 Throttled with Retry-After in seconds', async () => {
    kv.emu.setFaults({ throttleBudget: 1, throttleWindowMs: 5000 });
    const headers = { authorization: 'Bearer x' };
    expect(
      (await rawRequest(kv.emu, { method: 'GET', path: '/secrets?api-version=7.5', headers })).status,
    ).toBe(200);
    const res = await rawRequest(kv.emu, { method: 'GET', path: '/secrets?api-version=7.5', headers });
    expect(res.status).toBe(429);
    expect(res.json).toMatchObject({ error: { code: 'Throttled' } });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
  });

  test('throttling without Retry-After reaches the caller as a 429, as real Key Vault sometimes does', async () => {
    kv.emu.setFaults({ throttleBudget: 1, throttleWindowMs: 60_000, throttleRetryAfter: false });
    const client = kv.emu.client();
    await client.setSecret('only-one', 'v');
    const err = await restError(client.setSecret('second', 'v'));
    expect(err.statusCode).toBe(429);
    expect(err.code).toBe('Throttled');
  });

  test('errorRate 1 fails every request with 429 or 503 until faults are cleared', async () => {
    kv.emu.setFaults({ errorRate: 1 });
    const client = kv.emu.client();
    const err = await restError(client.setSecret('flaky', 'v'));
    expect([429, 503]).toContain(err.statusCode);
    expect(kv.emu.counters()['injected']).toBeGreaterThan(1);
    kv.emu.setFaults({});
    await expect(client.setSecret('flaky', 'v')).resolves.toBeDefined();
  });

  test('latency delays each answer', async () => {
    const client = kv.emu.client();
    await client.setSecret('slow', 'v');
    kv.emu.setFaults({ latencyMs: 200 });
    const started = Date.now();
    await client.getSecret('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('faults and counters are controllable over /_emulator without auth', async () => {
    const put = await rawRequest(kv.emu, {
      method: 'PUT',
      path: '/_emulator/faults',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ throttleBudget: 1, throttleWindowMs: 60_000, throttleRetryAfter: false }),
    });
    expect(put.status).toBe(200);
    expect((await rawRequest(kv.emu, { method: 'GET', path: '/_emulator/faults' })).json).toMatchObject({
      throttleBudget: 1,
    });
    const client = kv.emu.client();
    await client.setSecret('admin', 'v');
    await restError(client.getSecret('admin'));
    const counters = await rawRequest(kv.emu, { method: 'GET', path: '/_emulator/counters' });
    expect(counters.json).toMatchObject({ setSecret: 1, throttled: 1 });

    const bad = await rawRequest(kv.emu, {
      method: 'PUT',
      path: '/_emulator/faults',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 7 }),
    });
    expect(bad.status).toBe(400);

    expect((await rawRequest(kv.emu, { method: 'POST', path: '/_emulator/counters/reset' })).status).toBe(
      200,
    );
    expect(kv.emu.counters()).toEqual({});
  });

  test('faults given at start apply from the first request', async () => {
    const throttled = await startTestEmulator({ faults: { throttleBudget: 1, throttleRetryAfter: false } });
    try {
      const client = throttled.client();
      await client.setSecret('first', 'v');
      expect((await restError(client.getSecret('first'))).statusCode).toBe(429);
    } finally {
      await throttled.close();
    }
  });
});
