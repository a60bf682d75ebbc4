import { KvError } from '../../src/emulator/errors';
import { SecretStore } from '../../src/emulator/store';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KvError) return `${e.status} ${e.innerCode ?? e.code}`;
    throw e;
  }
  return undefined;
}

describe('SecretStore settles delete, recover and purge on its clock', () => {
  test('a delete is in neither collection until the settle time has passed', () => {
    const c = clock();
    const store = new SecretStore({ now: c.now, settleMs: 500 });
    store.set('a', { value: 'v' });
    store.delete('a');
    expect(codeOf(() => store.getDeleted('a'))).toBe('404 SecretNotFound');
    expect(codeOf(() => store.get('a'))).toBe('404 SecretNotFound');
    expect(codeOf(() => store.set('a', { value: 'w' }))).toBe('409 ObjectIsBeingDeleted');
    expect(codeOf(() => store.purge('a'))).toBe('409 ObjectIsBeingDeleted');
    expect(store.listDeleted()).toHaveLength(0);
    c.advance(499);
    expect(codeOf(() => store.getDeleted('a'))).toBe('404 SecretNotFound');
    c.advance(1);
    expect(store.getDeleted('a').name).toBe('a');
    expect(store.listDeleted().map((r) => r.name)).toEqual(['a']);
    expect(codeOf(() => store.set('a', { value: 'w' }))).toBe('409 ObjectIsDeletedButRecoverable');
  });

  test('recover and purge settle the same way; a failed call changes nothing', () => {
    const c = clock();
    const store = new SecretStore({ now: c.now, settleMs: 500 });
    store.set('b', { value: 'v' });
    store.delete('b');
    c.advance(500);
    store.recover('b');
    expect(codeOf(() => store.get('b'))).toBe('404 SecretNotFound');
    expect(codeOf(() => store.set('b', { value: 'w' }))).toBe('409 ObjectIsBeingRecovered');
    c.advance(500);
    expect(store.get('b').version.value).toBe('v');
    expect(store.listVersions('b')?.versions).toHaveLength(1);

    store.delete('b');
    c.advance(500);
    store.purge('b');
    expect(codeOf(() => store.getDeleted('b'))).toBe('404 SecretNotFound');
    expect(codeOf(() => store.set('b', { value: 'w' }))).toBe('409 ObjectIsBeingDeleted');
    c.advance(500);
    expect(store.set('b', { value: 'fresh' }).record.versions).toHaveLength(1);
  });

  test('pending operations survive a snapshot and settle after a reload', () => {
    const c = clock();
    const first = new SecretStore({ now: c.now, settleMs: 500 });
    first.set('c', { value: 'v' });
    first.delete('c');
    const second = new SecretStore({ now: c.now, settleMs: 500 });
    second.load(first.snapshot());
    expect(second.backupKey.equals(first.backupKey)).toBe(true);
    expect(codeOf(() => second.getDeleted('c'))).toBe('404 SecretNotFound');
    c.advance(500);
    expect(second.getDeleted('c').name).toBe('c');
  });

  test('with settleMs 0 every operation is done when it returns', () => {
    const store = new SecretStore({ settleMs: 0 });
    store.set('d', { value: 'v' });
    store.delete('d');
    expect(store.getDeleted('d').name).toBe('d');
    store.purge('d');
    expect(store.set('d', { value: 'again' }).record.versions).toHaveLength(1);
  });
});
