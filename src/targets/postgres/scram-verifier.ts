import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's own default (scram_iterations) for verifiers it computes. */
const ITERATIONS = 4096;
const SALT_BYTES = 16;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL would store for `password` (RFC 5802/7677, in the format of
 * `pg_authid.rolpassword`). Sending this instead of the password, as psql's `\password` does, keeps the
 * plain value out of the server's statement log, `pg_stat_activity` and any error report that quotes
 * the statement.
 *
 * SASLprep is skipped: it is the identity on printable ASCII, and the postgres generation policy
 * yields nothing else; other input is refused rather than hashed differently from the server.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(SALT_BYTES)): string {
  if (!/^[\x21-\x7e]*$/.test(password)) {
    throw new RangeError('only printable ASCII passwords can be pre-hashed without SASLprep');
  }
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
