import { emulatorStore } from '../support/emulator';
import { readFileSync } from 'node:fs';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { isRotatorError } from '../../src/errors';
import { createSecretStores, type SecretStore } from '../../src/vault';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('KeyVaultSecretStore against the emulator over HTTPS', () => {
  let emulator: RunningEmulator;
  let store: SecretStore;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    store = emulatorStore(emulator, 'test');
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('trusts the emulator only through the configured CA file', () => {
    expect(readFileSync(emulator.caFile, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('writes a version with tags and reads it back as latest and by version', async () => {
    const props = await store.set('svc-orders', 'v1-value', { tags: { 'rotation-target': 'keyvault' } });
    expect(props.version).toMatch(/^[0-9a-f]{32}$/);
    const latest = await store.get('svc-orders');
    expect(latest?.value).toBe('v1-value');
    expect(latest?.tags['rotation-target']).toBe('keyvault');
    await store.set('svc-orders', 'v2-value');
    expect((await store.get('svc-orders'))?.value).toBe('v2-value');
    expect((await store.get('svc-orders', props.version))?.value).toBe('v1-value');
  });

  it('returns undefined for a secret that does not exist', async () => {
    expect(await store.get('no-such-secret')).toBeUndefined();
  });

  it('updates tags of one version without creating another', async () => {
    const props = await store.set('svc-tags', 'x', { tags: { a: '1' } });
    await store.updateProperties('svc-tags', props.version, {
      tags: { a: '1', 'checked-out-at': '2026-11-22T10:00:00Z' },
    });
    const versions = await collect(store.listVersions('svc-tags'));
    expect(versions).toHaveLength(1);
    expect(versions[0]?.tags['checked-out-at']).toBe('2026-11-22T10:00:00Z');
  });

  it('lists every secret across pages, with tags and without values', async () => {
    for (let i = 0; i < 30; i += 1) await store.set(`page-${i}`, `value-${i}`, { tags: { n: String(i) } });
    const listed = await collect(store.list());
    const names = listed.map((p) => p.name).filter((n) => n.startsWith('page-'));
    expect(names).toHaveLength(30);
    expect(JSON.stringify(listed)).not.toContain('value-1');
  });

  it('answers ping when the vault is reachable', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('turns a disabled version into a VAULT_FORBIDDEN error with a hint', async () => {
    const props = await store.set('svc-disabled', 'x');
    await store.updateProperties('svc-disabled', props.version, { enabled: false });
    const error: unknown = await store.get('svc-disabled', props.version).catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('VAULT_FORBIDDEN');
    expect(isRotatorError(error) && error.message).not.toContain('x');
  });

  it('reports throttling without Retry-After as VAULT_THROTTLED so the caller backs off itself', async () => {
    emulator.setFaults({ throttleBudget: 1, throttleWindowMs: 60_000, throttleRetryAfter: false });
    try {
      await store.get('svc-orders').catch(() => undefined);
      const error: unknown = await store.get('svc-orders').catch((e: unknown) => e);
      expect(isRotatorError(error) && error.code).toBe('VAULT_THROTTLED');
    } finally {
      emulator.setFaults({});
    }
  });

  it('reports an unreachable vault as VAULT_UNREACHABLE', async () => {
    const [dead] = createSecretStores({
      vaultUrls: ['https://127.0.0.1:1'],
      vaultCaFile: emulator.caFile,
      vaultToken: 'test',
    }) as [SecretStore];
    const error: unknown = await dead.ping().catch((e: unknown) => e);
    expect(isRotatorError(error) && error.code).toBe('VAULT_UNREACHABLE');
  });
});
