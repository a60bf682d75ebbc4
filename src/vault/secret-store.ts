/**
 * The port through which everything else reaches a vault. Only src/vault touches the Azure SDK;
 * rotation and scheduling see these shapes.
 */
export interface SecretProperties {
  vaultUrl: string;
  name: string;
  version: string;
  enabled: boolean;
  tags: Record<string, string>;
  contentType: string | undefined;
  createdOn: Date | undefined;
  updatedOn: Date | undefined;
}

export interface SecretWithValue extends SecretProperties {
  value: string;
}

export interface SetSecretOptions {
  tags?: Record<string, string>;
  contentType?: string;
  enabled?: boolean;
}

export interface SecretStore {
  readonly vaultUrl: string;
  /** The latest version with its value, or undefined when the name does not exist. */
  get(name: string, version?: string): Promise<SecretWithValue | undefined>;
  /** Creates a new version; this is the scarce operation (PUT) under Key Vault's throttling. */
  set(name: string, value: string, options?: SetSecretOptions): Promise<SecretProperties>;
  /** Replaces tags (and optionally enabled) of one version without creating a new one. */
  updateProperties(
    name: string,
    version: string,
    update: { tags?: Record<string, string>; enabled?: boolean },
  ): Promise<SecretProperties>;
  /** Properties of the latest version of every secret (no values). */
  list(): AsyncIterable<SecretProperties>;
  /** Properties of every version of one secret (no values). */
  listVersions(name: string): AsyncIterable<SecretProperties>;
  /** Cheap reachability probe for /readyz. */
  ping(): Promise<void>;
}
