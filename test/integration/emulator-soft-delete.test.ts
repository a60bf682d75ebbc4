import { RestError } from '@azure/core-rest-pipeline';
import { useTestEmulator } from '../support/emulator';
import { waitFor } from '../support/wait';

const kv = useTestEmulator();

async function statusOf(p: Promise<unknown>): Promise<{ status?: number; code?: string }> {
  try {
    await p;
    return {};
  } catch (e) {
    if (e instanceof RestError) return { status: e.statusCode, code: e.code };
    throw e;
  }
}

describe('soft delete life cycle through the real SecretClient', () => {
  test('delete, inspect, list, recover: the secret comes back with its versions', async () => {
    const first = await kv.client.setSecret('Life-Cycle', 'v1');
    await kv.client.setSecret('Life-Cycle', 'v2');

    const poller = await kv.client.beginDeleteSecret('life-cycle', { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    expect(deleted.name).toBe('Life-Cycle');
    expect(deleted.properties.recoveryId).toBe(`${kv.emu.url}/deletedsecrets/Life-Cycle`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate).toBeInstanceOf(Date);

    expect(await statusOf(kv.client.getSecret('life-cycle'))).toEqual({
      status: 404,
      code: 'SecretNotFound',
    });
    const listed: string[] = [];
    for await (const p of kv.client.listPropertiesOfSecrets()) listed.push(p.name);
    expect(listed).not.toContain('Life-Cycle');

    const fetched = await kv.client.getDeletedSecret('LIFE-CYCLE');
    expect(fetched.properties.recoveryId).toBe(deleted.properties.recoveryId);
    const deletedNames: string[] = [];
    for await (const d of kv.client.listDeletedSecrets()) deletedNames.push(d.name);
    expect(deletedNames).toContain('Life-Cycle');

    const recover = await kv.client.beginRecoverDeletedSecret('life-cycle', { intervalInMs: 10 });
    await recover.pollUntilDone();
    expect((await kv.client.getSecret('life-cycle')).value).toBe('v2');
    expect((await kv.client.getSecret('life-cycle', { version: first.properties.version ?? '' })).value).toBe(
      'v1',
    );
    expect(await statusOf(kv.client.getDeletedSecret('life-cycle'))).toMatchObject({ status: 404 });
  });

  test('setting a name that is deleted but not purged is 409 Conflict until purged', async () => {
    await kv.client.setSecret('reused', 'old');
    await (await kv.client.beginDeleteSecret('reused', { intervalInMs: 10 })).pollUntilDone();
    expect(await statusOf(kv.client.setSecret('Reused', 'new'))).toEqual({ status: 409, code: 'Conflict' });

    await kv.client.purgeDeletedSecret('reused');
    expect(await statusOf(kv.client.getDeletedSecret('reused'))).toMatchObject({ status: 404 });
    // Purge, like delete, finishes after it is answered: the name is free only once it settles.
    const fresh = await waitFor('the purge to settle', () =>
      kv.client.setSecret('reused', 'new').catch(() => undefined),
    );
    const versions = [];
    for await (const v of kv.client.listPropertiesOfSecretVersions('reused')) versions.push(v);
    expect(versions.map((v) => v.version)).toEqual([fresh.properties.version]);
  });

  test('purging or recovering a secret that is not deleted is 404', async () => {
    expect(await statusOf(kv.client.purgeDeletedSecret('not-deleted'))).toMatchObject({ status: 404 });
    await kv.client.setSecret('alive', 'v');
    expect(await statusOf(kv.client.purgeDeletedSecret('alive'))).toMatchObject({ status: 404 });
  });

  test('backup then restore brings back a purged secret with all versions', async () => {
    await kv.client.setSecret('backed-up', 'a');
    await kv.client.setSecret('backed-up', 'b');
    const blob = await kv.client.backupSecret('backed-up');
    expect(blob).toBeInstanceOf(Uint8Array);
    expect(await statusOf(kv.client.restoreSecretBackup(blob ?? new Uint8Array()))).toMatchObject({
      status: 409,
    });
    await (await kv.client.beginDeleteSecret('backed-up', { intervalInMs: 10 })).pollUntilDone();
    await kv.client.purgeDeletedSecret('backed-up');
    const restored = await waitFor('the purge to settle', () =>
      kv.client.restoreSecretBackup(blob ?? new Uint8Array()).catch(() => undefined),
    );
    expect(restored.name).toBe('backed-up');
    expect((await kv.client.getSecret('backed-up')).value).toBe('b');
  });
});
