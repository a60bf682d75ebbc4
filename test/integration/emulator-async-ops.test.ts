import type { SecretClient } from '@azure/keyvault-secrets';
import { startTestEmulator, type TestEmulator } from '../support/emulator';
import { errorBodyOf, failureOf } from '../support/kv-errors';
import { waitFor } from '../support/wait';

// Long enough to look at the in-between state, short enough for a quick suite.
const SETTLE_MS = 3000;

let emu: TestEmulator;
let client: SecretClient;

beforeAll(async () => {
  emu = await startTestEmulator({ settleMs: SETTLE_MS });
  client = emu.client();
});
afterAll(() => emu.close());

describe('delete, recover and purge finish after they are answered, as in Key Vault', () => {
  test('while a delete settles the secret is in neither collection and its name is refused with ObjectIsBeingDeleted', async () => {
    await client.setSecret('going', 'v');
    emu.resetCounters();
    const poller = await client.beginDeleteSecret('going', { intervalInMs: 50 });
    expect(poller.isDone()).toBe(false);

    expect(await failureOf(client.getDeletedSecret('going'))).toEqual({
      status: 404,
      code: 'SecretNotFound',
      message: 'Deleted Secret not found: going',
    });
    expect(await failureOf(client.getSecret('going'))).toMatchObject({ status: 404, code: 'SecretNotFound' });
    expect(await failureOf(client.setSecret('going', 'again'))).toEqual({
      status: 409,
      code: 'Conflict',
      message: 'Secret going is currently being deleted and cannot be re-created; retry later.',
    });
    expect(await failureOf(client.purgeDeletedSecret('going'))).toEqual({
      status: 409,
      code: 'Conflict',
      message: 'Secret is currently being deleted.',
    });
    expect((await errorBodyOf(emu, 'PUT', '/secrets/going', { value: 'x' })).body.error?.innererror).toEqual({
      code: 'ObjectIsBeingDeleted',
    });
    expect((await errorBodyOf(emu, 'DELETE', '/deletedsecrets/going')).body.error?.innererror).toEqual({
      code: 'ObjectIsBeingDeleted',
    });
    const listed: string[] = [];
    for await (const d of client.listDeletedSecrets()) listed.push(d.name);
    expect(listed).not.toContain('going');

    const deleted = await poller.pollUntilDone();
    expect(deleted.name).toBe('going');
    // The poller really polled: at least one 404 before the 200.
    expect(emu.counters()['getDeletedSecret']).toBeGreaterThanOrEqual(4);
    expect((await client.getDeletedSecret('going')).properties.recoveryId).toBe(
      `${emu.url}/deletedsecrets/going`,
    );
    expect((await errorBodyOf(emu, 'PUT', '/secrets/going', { value: 'x' })).body.error?.innererror).toEqual({
      code: 'ObjectIsDeletedButRecoverable',
    });
    expect(await failureOf(client.setSecret('going', 'again'))).toMatchObject({
      status: 409,
      message:
        'Secret going is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.',
    });
  });

  test('while a recover settles GET /secrets is 404, the deleted entry is gone and a set is ObjectIsBeingRecovered', async () => {
    await client.setSecret('coming-back', 'kept');
    await (await client.beginDeleteSecret('coming-back', { intervalInMs: 50 })).pollUntilDone();
    emu.resetCounters();

    const poller = await client.beginRecoverDeletedSecret('coming-back', { intervalInMs: 50 });
    expect(poller.isDone()).toBe(false);
    expect(await failureOf(client.getSecret('coming-back'))).toMatchObject({
      status: 404,
      code: 'SecretNotFound',
    });
    expect(await failureOf(client.getDeletedSecret('coming-back'))).toMatchObject({ status: 404 });
    expect(await failureOf(client.setSecret('coming-back', 'x'))).toEqual({
      status: 409,
      code: 'Conflict',
      message: 'Secret coming-back is currently being recovered and cannot be re-created; retry later.',
    });
    const raw = await errorBodyOf(emu, 'PUT', '/secrets/coming-back', { value: 'x' });
    expect(raw.body.error?.innererror).toEqual({ code: 'ObjectIsBeingRecovered' });

    const recovered = await poller.pollUntilDone();
    expect(recovered.name).toBe('coming-back');
    expect(emu.counters()['getSecret']).toBeGreaterThanOrEqual(4);
    expect((await client.getSecret('coming-back')).value).toBe('kept');
  });

  test('purge then re-create: the name stays refused until the purge settles, then takes a fresh secret', async () => {
    await client.setSecret('recycled', 'old');
    await (await client.beginDeleteSecret('recycled', { intervalInMs: 50 })).pollUntilDone();
    await client.purgeDeletedSecret('recycled');

    expect(await failureOf(client.getDeletedSecret('recycled'))).toMatchObject({ status: 404 });
    expect(await failureOf(client.setSecret('recycled', 'new'))).toMatchObject({
      status: 409,
      message: 'Secret recycled is currently being deleted and cannot be re-created; retry later.',
    });
    const fresh = await waitFor('the purge to settle', () =>
      client.setSecret('recycled', 'new').catch(() => undefined),
    );
    const versions: string[] = [];
    for await (const v of client.listPropertiesOfSecretVersions('recycled')) versions.push(v.version ?? '');
    expect(versions).toEqual([fresh.properties.version]);
  });

  test('with a settle time of 0 the deleted secret is there at once', async () => {
    const instant = await startTestEmulator({ settleMs: 0 });
    try {
      const c = instant.client();
      await c.setSecret('quick', 'v');
      await (await c.beginDeleteSecret('quick', { intervalInMs: 50 })).pollUntilDone();
      expect(instant.counters()['getDeletedSecret']).toBe(1);
      expect((await c.getDeletedSecret('quick')).name).toBe('quick');
      await c.purgeDeletedSecret('quick');
      expect((await c.setSecret('quick', 'again')).value).toBe('again');
    } finally {
      await instant.close();
    }
  });
});
