import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startTestEmulator, type TestEmulator } from '../support/emulator';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', 'support', 'kv_parity.py');

interface Failure {
  status: number;
  code: string;
  inner: string | null;
  message: string;
  type: string;
}

/** Runs the parity script with Debian's Azure SDK for Python and returns what it printed. */
function runParity(emu: TestEmulator): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [SCRIPT, emu.url, emu.caFile],
      // The CA both ways: connection_verify in the script, REQUESTS_CA_BUNDLE for anything else in requests.
      { env: { PATH: '/usr/bin:/bin', REQUESTS_CA_BUNDLE: emu.caFile }, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`kv_parity.py failed: ${err.message}\n${stderr}`));
          return;
        }
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      },
    );
  });
}

let emu: TestEmulator;
let out: Record<string, unknown>;

beforeAll(async () => {
  // Empty pages that still carry a nextLink, as the service sometimes sends: the old SDK must page through them.
  emu = await startTestEmulator({ settleMs: 1500, faults: { emptyPageRate: 0.3 } });
  out = await runParity(emu);
}, 180_000);
afterAll(() => emu.close());

const f = (key: string): Failure => out[key] as Failure;
const nested = (key: string, sub: string): Failure => (out[key] as Record<string, Failure>)[sub] as Failure;

describe("Debian's Azure SDK for Python (python3-azure) gets Key Vault's answers from the emulator", () => {
  test('it sends api-version 7.3 and authenticates through the 401 challenge', () => {
    expect(out['api_versions']).toEqual(['7.3']);
    expect(out['scopes']).toEqual(['https://vault.azure.net/.default']);
    expect(out['token_calls']).toBeGreaterThanOrEqual(1);
    expect(emu.counters()['unauthorized']).toBeGreaterThanOrEqual(1);
  });

  test('set, get latest and by version, versions, update properties', () => {
    const set = out['set'] as Record<string, unknown>;
    expect(set).toMatchObject({
      name: 'py-secret',
      value: 'first',
      content_type: 'text/plain',
      tags: { owner: 'py' },
      recovery_level: 'Recoverable+Purgeable',
    });
    expect(set['version']).toMatch(/^[0-9a-f]{32}$/);
    expect(set['id']).toBe(`${emu.url}/secrets/py-secret/${String(set['version'])}`);
    expect(out['get_latest']).toBe('second');
    expect(out['get_version']).toBe('first');
    expect(out['versions']).toEqual([...(out['version_ids'] as string[])].sort());
    expect(out['update']).toEqual({
      content_type: 'application/json',
      tags: { rotated: 'yes' },
      value_in_answer: false,
    });
  });

  test('lists over pages of at most 10 (some empty, with a nextLink) that it follows to the end', () => {
    const list = out['list'] as { page_sizes: number[]; names: string[] };
    expect(list.page_sizes.every((n) => n <= 10)).toBe(true);
    expect(list.names.filter((n) => n.startsWith('py-page-'))).toHaveLength(23);
    expect(new Set(list.names).size).toBe(list.names.length);
  });

  test('error cases carry the service codes, inner codes and messages', () => {
    expect(f('disabled_get')).toEqual({
      status: 403,
      code: 'Forbidden',
      inner: 'SecretDisabled',
      message: 'Operation get is not allowed on a disabled secret.',
      type: 'HttpResponseError',
    });
    expect(f('missing')).toMatchObject({
      status: 404,
      code: 'SecretNotFound',
      type: 'ResourceNotFoundError',
    });
    expect(f('missing').message).toMatch(
      /^A secret with \(name\/id\) py-nobody was not found in this key vault\./,
    );
    expect(f('too_big')).toMatchObject({
      status: 400,
      code: 'BadParameter',
      message: 'Secret is beyond the maximum permitted length of 25600 characters.',
    });
    expect(f('bad_name')).toMatchObject({
      status: 400,
      code: 'BadParameter',
      message: 'The request URI contains an invalid name: py_bad_name',
    });
  });

  test('delete answers at once and its poller polls until the deleted secret appears', () => {
    expect(out['delete_started']).toEqual({ status: 'polling', value_in_answer: false });
    expect(nested('during_delete', 'get_deleted')).toMatchObject({
      status: 404,
      code: 'SecretNotFound',
      type: 'ResourceNotFoundError',
    });
    expect(nested('during_delete', 'set')).toMatchObject({
      status: 409,
      code: 'Conflict',
      inner: 'ObjectIsBeingDeleted',
      type: 'ResourceExistsError',
    });
    expect(nested('during_delete', 'purge')).toMatchObject({ status: 409, inner: 'ObjectIsBeingDeleted' });
    expect(out['delete_done']).toBe('finished');
    // Two explicit reads; the rest are the poller's, which polled through the 1.5 s settle time.
    expect(emu.counters()['getDeletedSecret']).toBeGreaterThanOrEqual(6);
    expect(out['get_deleted']).toEqual({
      name: 'py-secret',
      recovery_id: `${emu.url}/deletedsecrets/py-secret`,
      has_dates: true,
      value_in_answer: false,
    });
    expect(out['list_deleted']).toEqual({ names: ['py-secret'], value_in_answer: false });
    expect(f('set_while_deleted')).toMatchObject({ status: 409, inner: 'ObjectIsDeletedButRecoverable' });
  });

  test('recover answers at once and its poller polls until the secret is back', () => {
    expect(out['recover_started']).toBe('polling');
    expect(nested('during_recover', 'get')).toMatchObject({ status: 404, code: 'SecretNotFound' });
    expect(nested('during_recover', 'set')).toMatchObject({ status: 409, inner: 'ObjectIsBeingRecovered' });
    expect(out['recovered_value']).toBe('second');
  });

  test('purge, backup and restore: sealed blob, edited blob refused, name free once the purge settles', () => {
    expect(out['backup']).toEqual({ type: 'bytes', shows_value: false });
    expect(nested('after_purge', 'get_deleted')).toMatchObject({ status: 404 });
    expect(nested('after_purge', 'set')).toMatchObject({ status: 409, inner: 'ObjectIsBeingDeleted' });
    expect(f('restore_edited')).toMatchObject({ status: 400, code: 'BadParameter' });
    expect(out['restore']).toEqual({ name: 'py-secret', value: 'second' });
    expect(f('restore_existing')).toMatchObject({ status: 409, code: 'Conflict' });
  });
});
