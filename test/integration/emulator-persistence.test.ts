import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runEmulatorCommand, startEmulator } from '../../src/emulator';
import { startTestEmulator } from '../support/emulator';
import { waitFor } from '../support/wait';

describe('emulator state on disk', () => {
  test('secrets, versions and soft deletes survive a restart with the same dataFile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-emu-state-'));
    const dataFile = join(dir, 'state.json');

    const first = await startTestEmulator({ dataFile });
    const c1 = first.client();
    const v1 = await c1.setSecret('Persisted', 'one', { tags: { k: 'v' } });
    await c1.setSecret('Persisted', 'two');
    await c1.setSecret('gone', 'x');
    await (await c1.beginDeleteSecret('gone', { intervalInMs: 10 })).pollUntilDone();
    await c1.setSecret('blobbed', 'sealed-value');
    const blob = (await c1.backupSecret('blobbed')) ?? new Uint8Array();
    await (await c1.beginDeleteSecret('blobbed', { intervalInMs: 10 })).pollUntilDone();
    await c1.purgeDeletedSecret('blobbed');
    await first.close();

    const second = await startTestEmulator({ dataFile });
    try {
      const c2 = second.client();
      const latest = await c2.getSecret('persisted');
      expect(latest.value).toBe('two');
      expect(latest.name).toBe('Persisted');
      expect(latest.properties.id?.startsWith(second.url)).toBe(true);
      const old = await c2.getSecret('persisted', { version: v1.properties.version ?? '' });
      expect(old.value).toBe('one');
      expect(old.properties.tags).toEqual({ k: 'v' });
      expect((await c2.getDeletedSecret('gone')).name).toBe('gone');
      // The backup key lives in the state file, and a purge still settling at shutdown settles after it.
      const restored = await waitFor('the purge to settle', () =>
        c2.restoreSecretBackup(blob).catch(() => undefined),
      );
      expect(restored.name).toBe('blobbed');
      expect((await c2.getSecret('blobbed')).value).toBe('sealed-value');
      expect(readdirSync(dir)).toEqual(['state.json']);
    } finally {
      await second.close();
    }
  });

  test('a corrupt state file stops startup instead of silently emptying the vault', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-emu-state-'));
    const dataFile = join(dir, 'state.json');
    writeFileSync(dataFile, '{"not":"ours"}');
    await expect(startEmulator({ port: 0, dataFile })).rejects.toThrow(/not an emulator state file/);
  });
});

describe('runEmulatorCommand', () => {
  test('prints exactly one JSON line with url, caFile, logsUrl and workspaceId once listening', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const emu = await runEmulatorCommand({ port: 0, stdout });
    try {
      const lines = out.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '')).toEqual({
        url: emu.url,
        caFile: emu.caFile,
        logsUrl: emu.url,
        workspaceId: emu.workspaceId,
      });
      expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await emu.close();
    }
  });
});
