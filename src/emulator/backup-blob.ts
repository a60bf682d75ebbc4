import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { badParameter, type KvError } from './errors';
import type { SecretRecord } from './store';
import { validateName } from './validation';

/** Marks the blob format and is bound into the authentication tag, so a blob of another kind never opens. */
const MAGIC = Buffer.from('KVSB1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;

function corrupt(): KvError {
  return badParameter('Backup blob contains invalid or corrupt data.');
}

/**
 * Backups as the service makes them: an opaque blob only this vault can read. AES-256-GCM with the
 * vault's own key, so a blob reveals no value and any edited byte makes the restore fail.
 */
export class BackupSealer {
  constructor(private readonly key: () => Buffer) {}

  seal(record: SecretRecord): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(MAGIC);
    const body = Buffer.concat([cipher.update(JSON.stringify(record), 'utf8'), cipher.final()]);
    return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(blob: string): SecretRecord {
    const bytes = Buffer.from(blob, 'base64url');
    const head = MAGIC.length + IV_BYTES + TAG_BYTES;
    if (bytes.length <= head || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt();
    const iv = bytes.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const tag = bytes.subarray(MAGIC.length + IV_BYTES, head);
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(), iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(MAGIC);
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(bytes.subarray(head)), decipher.final()]).toString('utf8');
    } catch {
      throw corrupt();
    }
    const record = JSON.parse(plain) as SecretRecord;
    // Authenticated, so only this emulator wrote it; the check guards against its own older formats.
    if (!Array.isArray(record.versions) || record.versions.length === 0) throw corrupt();
    validateName(String(record.name));
    return record;
  }
}
