import { BackupSealer } from '../../src/emulator/backup-blob';
import { KvError } from '../../src/emulator/errors';
import { afterSortedKey, decodeSkipToken, encodeSkipToken } from '../../src/emulator/paging';
import type { SecretRecord } from '../../src/emulator/store';

const record: SecretRecord = {
  name: 'Sealed',
  versions: [{ version: 'a'.repeat(32), value: 'plain-text-value', enabled: true, created: 1, updated: 1 }],
};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof KvError) return `${e.status} ${e.code}`;
    throw e;
  }
  return 'accepted';
}

describe('backup blobs', () => {
  const key = Buffer.alloc(32, 7);
  const sealer = new BackupSealer(() => key);

  test('round-trip under the same key and show neither name nor value', () => {
    const blob = sealer.seal(record);
    expect(Buffer.from(blob, 'base64url').toString('latin1')).not.toMatch(/plain-text-value|Sealed/);
    expect(sealer.open(blob)).toEqual(record);
  });

  test('any edited byte, a truncated blob, garbage or another key is 400 BadParameter', () => {
    const bytes = Buffer.from(sealer.seal(record), 'base64url');
    for (let i = 0; i < bytes.length; i += 7) {
      const edited = Buffer.from(bytes);
      edited[i] = (edited[i] ?? 0) ^ 0x80;
      expect(refusal(() => sealer.open(edited.toString('base64url')))).toBe('400 BadParameter');
    }
    expect(refusal(() => sealer.open(bytes.subarray(0, 20).toString('base64url')))).toBe('400 BadParameter');
    expect(refusal(() => sealer.open('not a blob'))).toBe('400 BadParameter');
    const other = new BackupSealer(() => Buffer.alloc(32, 8));
    expect(refusal(() => other.open(bytes.toString('base64url')))).toBe('400 BadParameter');
  });
});

describe('paging markers', () => {
  test('a skip token round-trips the marker and is not a number', () => {
    const token = encodeSkipToken('db-password');
    expect(token).not.toMatch(/^\d+$/);
    expect(decodeSkipToken(token)).toBe('db-password');
    expect(refusal(() => decodeSkipToken('25'))).toBe('400 BadParameter');
  });

  test('afterSortedKey resumes after the marker whether or not it still exists', () => {
    const keys = ['a', 'c', 'e'];
    const id = (k: string): string => k;
    expect(afterSortedKey(keys, id, 'a')).toBe(1);
    expect(afterSortedKey(keys, id, 'b')).toBe(1);
    expect(afterSortedKey(keys, id, 'e')).toBe(3);
    expect(afterSortedKey(keys, id, '')).toBe(0);
  });
});
