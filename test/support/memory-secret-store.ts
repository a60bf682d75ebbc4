import { randomUUID } from 'node:crypto';
import type { SecretProperties, SecretStore, SecretWithValue } from '../../src/vault';

type SetSecretOptions = NonNullable<Parameters<SecretStore['set']>[2]>;

/**
 * An in-memory SecretStore with versions and a call log, checked against the port at compile time. It
 * can be told to fail its next calls (a throttled vault) and to delete a secret.
 */
export class MemorySecretStore implements SecretStore {
  readonly calls: string[] = [];
  private readonly versions = new Map<string, SecretWithValue[]>();
  private failures: Error[] = [];

  constructor(readonly vaultUrl: string) {}

  failNext(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  delete(name: string): void {
    this.versions.delete(name.toLowerCase());
  }

  private step(call: string): void {
    this.calls.push(call);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
  }

  get(name: string, version?: string): Promise<SecretWithValue | undefined> {
    this.step(`get ${name}`);
    const all = this.versions.get(name.toLowerCase()) ?? [];
    const found = version === undefined ? all.at(-1) : all.find((v) => v.version === version);
    return Promise.resolve(found === undefined ? undefined : { ...found, tags: { ...found.tags } });
  }

  set(name: string, value: string, options: SetSecretOptions = {}): Promise<SecretProperties> {
    this.step(`set ${name}`);
    const all = this.versions.get(name.toLowerCase()) ?? [];
    const secret: SecretWithValue = {
      vaultUrl: this.vaultUrl,
      name: all[0]?.name ?? name,
      version: randomUUID().replace(/-/g, ''),
      enabled: options.enabled ?? true,
      tags: { ...options.tags },
      contentType: options.contentType,
      createdOn: new Date(),
      updatedOn: new Date(),
      value,
    };
    this.versions.set(name.toLowerCase(), [...all, secret]);
    const { value: _value, ...props } = secret;
    return Promise.resolve(props);
  }

  updateProperties(
    name: string,
    version: string,
    update: { tags?: Record<string, string>; enabled?: boolean },
  ): Promise<SecretProperties> {
    this.step(`update ${name}`);
    const found = (this.versions.get(name.toLowerCase()) ?? []).find((v) => v.version === version);
    if (found === undefined) return Promise.reject(new Error(`no version ${version} of ${name}`));
    if (update.tags !== undefined) found.tags = { ...update.tags };
    if (update.enabled !== undefined) found.enabled = update.enabled;
    const { value: _value, ...props } = found;
    return Promise.resolve(props);
  }

  async *list(): AsyncIterable<SecretProperties> {
    this.step('list');
    for (const all of this.versions.values()) {
      const latest = all.at(-1);
      if (latest === undefined) continue;
      const { value: _value, ...props } = latest;
      yield await Promise.resolve(props);
    }
  }

  async *listVersions(name: string): AsyncIterable<SecretProperties> {
    this.step(`versions ${name}`);
    for (const v of this.versions.get(name.toLowerCase()) ?? []) {
      const { value: _value, ...props } = v;
      yield await Promise.resolve(props);
    }
  }

  ping(): Promise<void> {
    this.step('ping');
    return Promise.resolve();
  }
}
