import {
  SecretClient,
  type KeyVaultSecret,
  type SecretProperties as SdkProperties,
} from '@azure/keyvault-secrets';
import { isRotatorError, RotatorError } from '../errors';
import { retryAfterMs } from '../http';
import type { SecretProperties, SecretStore, SecretWithValue, SetSecretOptions } from './secret-store';
import { untracedIteration } from './untraced-iteration';

/** What the adapter needs from the SDK's errors; RestError has these fields. */
interface RestLikeError {
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

function asRestError(error: unknown): RestLikeError {
  return typeof error === 'object' && error !== null ? error : {};
}

/** Turns the SDK's errors into ours, with a code and what to do; the message never holds a value. */
export function translateVaultError(error: unknown, vaultUrl: string, operation: string): RotatorError {
  // Already ours: the request budget's policy gave up waiting for a slot.
  if (isRotatorError(error)) return error;
  const rest = asRestError(error);
  const where = `${operation} on ${vaultUrl}`;
  if (rest.statusCode === 429) {
    // An HTTP-date Retry-After is the vault's wall clock, so it is compared with ours.
    const retry = retryAfterMs(rest.response?.headers, Date.now());
    return new RotatorError('VAULT_THROTTLED', `Key Vault throttled ${where}`, {
      hint: `retry after ${retry === undefined ? 'a backoff' : `${retry} ms`}; if this persists, lower the vault's budget in ROTATOR_VAULT_BUDGETS (another client shares the vault)`,
      cause: error,
      retryAfterMs: retry,
    });
  }
  if (rest.statusCode === 401 || rest.statusCode === 403) {
    return new RotatorError('VAULT_FORBIDDEN', `Key Vault refused ${where} (HTTP ${rest.statusCode})`, {
      hint: "grant the daemon's identity the rotator's custom role (bicep/modules/rotator-data-actions.json) on the vault, or enable the secret version",
      cause: error,
    });
  }
  if (rest.statusCode !== undefined && rest.statusCode >= 400 && rest.statusCode < 500) {
    return new RotatorError(
      'VAULT_REJECTED',
      `Key Vault rejected ${where} (HTTP ${rest.statusCode} ${rest.code ?? ''})`,
      {
        hint: 'check the secret name, tags and value size against Key Vault limits',
        cause: error,
      },
    );
  }
  return new RotatorError('VAULT_UNREACHABLE', `Key Vault did not answer ${where}`, {
    hint: 'check ROTATOR_VAULT_URL, network access and ROTATOR_VAULT_CA_FILE; the operation will be retried',
    cause: error,
  });
}

function toProperties(vaultUrl: string, p: SdkProperties): SecretProperties {
  return {
    vaultUrl,
    name: p.name,
    version: p.version ?? '',
    enabled: p.enabled !== false,
    tags: { ...(p.tags ?? {}) },
    contentType: p.contentType,
    createdOn: p.createdOn,
    updatedOn: p.updatedOn,
  };
}

function toSecret(vaultUrl: string, s: KeyVaultSecret): SecretWithValue {
  return { ...toProperties(vaultUrl, s.properties), value: s.value ?? '' };
}

/** The one adapter over `SecretClient`: every Azure call of the rotator goes through here. */
export class KeyVaultSecretStore implements SecretStore {
  constructor(
    readonly vaultUrl: string,
    private readonly client: SecretClient,
  ) {}

  async get(name: string, version?: string): Promise<SecretWithValue | undefined> {
    try {
      const secret = await this.client.getSecret(name, version === undefined ? {} : { version });
      return toSecret(this.vaultUrl, secret);
    } catch (error) {
      if (asRestError(error).statusCode === 404) return undefined;
      throw translateVaultError(error, this.vaultUrl, `get ${name}`);
    }
  }

  async set(name: string, value: string, options: SetSecretOptions = {}): Promise<SecretProperties> {
    try {
      const secret = await this.client.setSecret(name, value, {
        tags: options.tags,
        contentType: options.contentType,
        enabled: options.enabled,
      });
      return toProperties(this.vaultUrl, secret.properties);
    } catch (error) {
      throw translateVaultError(error, this.vaultUrl, `set ${name}`);
    }
  }

  async updateProperties(
    name: string,
    version: string,
    update: { tags?: Record<string, string>; enabled?: boolean },
  ): Promise<SecretProperties> {
    try {
      const props = await this.client.updateSecretProperties(name, version, update);
      return toProperties(this.vaultUrl, props);
    } catch (error) {
      throw translateVaultError(error, this.vaultUrl, `update ${name}`);
    }
  }

  async *list(): AsyncIterable<SecretProperties> {
    try {
      // Its pages untraced: a whole vault's listing is the sweep's (or the command's) one operation.
      for await (const props of untracedIteration(this.client.listPropertiesOfSecrets()))
        yield toProperties(this.vaultUrl, props);
    } catch (error) {
      throw translateVaultError(error, this.vaultUrl, 'list secrets');
    }
  }

  async *listVersions(name: string): AsyncIterable<SecretProperties> {
    try {
      for await (const props of this.client.listPropertiesOfSecretVersions(name)) {
        yield toProperties(this.vaultUrl, props);
      }
    } catch (error) {
      throw translateVaultError(error, this.vaultUrl, `list versions of ${name}`);
    }
  }

  async ping(): Promise<void> {
    // One page of one item: proves reachability and permission without walking the vault.
    const pages = this.client.listPropertiesOfSecrets().byPage({ maxPageSize: 1 });
    try {
      await pages.next();
    } catch (error) {
      throw translateVaultError(error, this.vaultUrl, 'ping');
    }
  }
}
