import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets';
import { createEmulatorClientOptions } from '../../src/emulator/client-options';
import {
  authed,
  rawRequest,
  staticCredential,
  startTestEmulator,
  type TestEmulator,
} from '../support/emulator';
import { errorBodyOf, failureOf } from '../support/kv-errors';
import { waitFor } from '../support/wait';

let emu: TestEmulator;
let client: SecretClient;

beforeAll(async () => {
  emu = await startTestEmulator({ settleMs: 0 });
  client = emu.client();
});
afterAll(() => emu.close());

function clientWithApiVersion(version: string): SecretClient {
  // The SDK types serviceVersion as the versions it knows; the point here is to send others too.
  const serviceVersion = version as '7.6';
  return new SecretClient(
    emu.url,
    staticCredential,
    createEmulatorClientOptions(emu.caPem, { serviceVersion }),
  );
}

async function names(iter: AsyncIterableIterator<SecretProperties[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const pageItems of iter) out.push(...pageItems.map((p) => p.name));
  return out;
}

describe('paging markers are opaque and resume from the last name seen', () => {
  const prefix = 'pg-';
  const all = Array.from({ length: 30 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    for (const n of all) await client.setSecret(n, 'v');
  });

  test('a secret added and one removed between two pages: nothing listed twice, nothing skipped', async () => {
    const pages = client.listPropertiesOfSecrets().byPage({ maxPageSize: 10 });
    const first = await pages.next();
    const firstNames = (first.value as SecretProperties[])
      .map((p) => p.name)
      .filter((n) => n.startsWith(prefix));
    expect(firstNames).toEqual(all.slice(0, 10));

    await client.setSecret(`${prefix}00a`, 'inserted before the marker');
    await (await client.beginDeleteSecret(`${prefix}03`, { intervalInMs: 10 })).pollUntilDone();

    const rest = (await names(pages)).filter((n) => n.startsWith(prefix));
    expect(rest).toEqual(all.slice(10));
    await client.purgeDeletedSecret(`${prefix}03`);
    await client.setSecret(`${prefix}03`, 'v');
  });

  test('nextLink carries a $skiptoken that is not a number, and a forged one is 400 BadParameter', async () => {
    const res = await rawRequest(emu, {
      method: 'GET',
      path: '/secrets?api-version=2026-04-01&maxresults=2',
      headers: authed(),
    });
    const nextLink = (res.json as { nextLink: string }).nextLink;
    const token = new URL(nextLink).searchParams.get('$skiptoken') ?? '';
    expect(token).not.toMatch(/^\d+$/);
    expect(token.length).toBeGreaterThan(10);

    const forged = await errorBodyOf(emu, 'GET', '/secrets?$skiptoken=2');
    expect(forged.status).toBe(400);
    expect(forged.body.error?.code).toBe('BadParameter');
  });

  test('with the empty-page fault the SDK follows empty pages that carry a nextLink and still lists each secret once', async () => {
    emu.setFaults({ emptyPageRate: 0.6 });
    try {
      const sizes: number[] = [];
      const listed: string[] = [];
      for await (const p of client.listPropertiesOfSecrets().byPage({ maxPageSize: 10 })) {
        sizes.push(p.length);
        listed.push(...p.map((s) => s.name));
      }
      expect(sizes).toContain(0);
      const ours = listed.filter((n) => n.startsWith(prefix));
      expect(ours).toEqual([...all.slice(0, 1), `${prefix}00a`, ...all.slice(1)]);
    } finally {
      emu.setFaults({});
    }
  });
});

describe('limits, deleted bundles and backups as the service has them', () => {
  test('the 25 KB value limit counts UTF-8 bytes, not characters', async () => {
    await client.setSecret('bytes-at-limit', 'é'.repeat(12_800)); // 25,600 bytes
    expect(await failureOf(client.setSecret('bytes-over', 'é'.repeat(12_801)))).toEqual({
      status: 400,
      code: 'BadParameter',
      message: 'Secret is beyond the maximum permitted length of 25600 characters.',
    });
  });

  test('the delete answer, get-deleted and list-deleted never carry the value', async () => {
    await client.setSecret('no-value-after-delete', 'top-secret-value');
    const deleted = await (
      await client.beginDeleteSecret('no-value-after-delete', { intervalInMs: 10 })
    ).pollUntilDone();
    expect(deleted.value).toBeUndefined();
    expect((await client.getDeletedSecret('no-value-after-delete')).value).toBeUndefined();
    for await (const d of client.listDeletedSecrets()) expect(d.value).toBeUndefined();
    const raw = await rawRequest(emu, {
      method: 'GET',
      path: '/deletedsecrets/no-value-after-delete?api-version=2026-04-01',
      headers: authed(),
    });
    expect(raw.status).toBe(200);
    expect(raw.text).not.toContain('top-secret-value');
    expect(raw.json).not.toHaveProperty('value');
  });

  test('a backup is sealed: the blob shows no value, restores here, and an edited byte is refused', async () => {
    await client.setSecret('sealed', 'first-plain-value');
    await client.setSecret('sealed', 'second-plain-value');
    const blob = (await client.backupSecret('sealed')) ?? new Uint8Array();
    const asText = Buffer.from(blob).toString('latin1');
    expect(asText).not.toContain('plain-value');
    expect(asText).not.toContain('sealed');

    const edited = Uint8Array.from(blob);
    const middle = Math.floor(edited.length / 2);
    edited[middle] = (edited[middle] ?? 0) ^ 0x01;
    expect(await failureOf(client.restoreSecretBackup(edited))).toMatchObject({
      status: 400,
      code: 'BadParameter',
    });

    const other = await startTestEmulator({ settleMs: 0 });
    try {
      const foreign = await failureOf(other.client().restoreSecretBackup(blob));
      expect(foreign).toMatchObject({ status: 400, code: 'BadParameter' });
    } finally {
      await other.close();
    }

    await (await client.beginDeleteSecret('sealed', { intervalInMs: 10 })).pollUntilDone();
    await client.purgeDeletedSecret('sealed');
    const restored = await waitFor('restore', () => client.restoreSecretBackup(blob).catch(() => undefined));
    expect(restored.name).toBe('sealed');
    expect((await client.getSecret('sealed')).value).toBe('second-plain-value');
  });
});

describe("Key Vault's error codes, messages and api-versions", () => {
  test('a disabled secret: get and get-deleted are 403 Forbidden with inner code SecretDisabled', async () => {
    await client.setSecret('switched-off', 'v', { enabled: false });
    expect(await failureOf(client.getSecret('switched-off'))).toEqual({
      status: 403,
      code: 'Forbidden',
      message: 'Operation get is not allowed on a disabled secret.',
    });
    expect((await errorBodyOf(emu, 'GET', '/secrets/switched-off')).body.error?.innererror).toEqual({
      code: 'SecretDisabled',
    });
    // The SDK's delete poller takes the 403 from get-deleted as "deleted", as it does against the service.
    await (await client.beginDeleteSecret('switched-off', { intervalInMs: 10 })).pollUntilDone();
    expect(await failureOf(client.getDeletedSecret('switched-off'))).toMatchObject({
      status: 403,
      code: 'Forbidden',
    });
    expect((await errorBodyOf(emu, 'GET', '/deletedsecrets/switched-off')).body.error?.innererror).toEqual({
      code: 'SecretDisabled',
    });
  });

  test('an unknown secret is 404 SecretNotFound with the service message', async () => {
    expect(await failureOf(client.getSecret('never-was'))).toEqual({
      status: 404,
      code: 'SecretNotFound',
      message:
        'A secret with (name/id) never-was was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182',
    });
  });

  test.each(['7.3', '7.4', '7.5', '7.6', '2025-07-01', '2026-04-01'])(
    'api-version %s, which current SDKs send, is served',
    async (version) => {
      const c = clientWithApiVersion(version);
      await c.setSecret(`api-${version.replace(/\./g, '-')}`, 'v');
      expect((await c.getSecret(`api-${version.replace(/\./g, '-')}`)).value).toBe('v');
    },
  );

  test('an unsupported api-version is 400 BadParameter with the service message', async () => {
    expect(await failureOf(clientWithApiVersion('7.9').getSecret('anything'))).toEqual({
      status: 400,
      code: 'BadParameter',
      message:
        'The specified version (7.9) is not recognized. Consider using the latest supported version (2026-04-01).',
    });
  });

  test('a plain secret carries no previousVersion at any API version: the service sets it only on certificate-backed ones', async () => {
    await client.setSecret('chained', 'one');
    const second = await client.setSecret('chained', 'two');
    expect(second.properties.previousVersion).toBeUndefined();
    expect((await client.getSecret('chained')).properties.previousVersion).toBeUndefined();
    expect(
      (await clientWithApiVersion('7.6').getSecret('chained')).properties.previousVersion,
    ).toBeUndefined();
  });
});
