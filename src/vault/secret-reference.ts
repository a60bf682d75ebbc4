/**
 * A reference from one secret's tag to another secret, possibly in another vault:
 * `name` (the same vault), `vaultname/name` (https://vaultname.vault.azure.net) or a secret URL
 * `https://admin-vault.vault.azure.net/secrets/name`. Admin connections can then live in a vault that
 * only the daemon may read, apart from the secrets people check out.
 */
export interface SecretReference {
  /** Lower-case vault URL without a trailing slash. */
  vaultUrl: string;
  name: string;
}

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VAULT_NAME = /^[a-zA-Z][0-9a-zA-Z-]{1,22}$/;

export class SecretReferenceError extends Error {
  override readonly name = 'SecretReferenceError';
}

export function normalizeVaultUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}

export function parseSecretReference(text: string, ownVaultUrl: string): SecretReference {
  const trimmed = text.trim();
  if (NAME.test(trimmed)) return { vaultUrl: normalizeVaultUrl(ownVaultUrl), name: trimmed };
  if (/^https:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new SecretReferenceError(`'${trimmed}' is not a valid secret URL`);
    }
    const match = /^\/secrets\/([0-9a-zA-Z-]{1,127})\/?$/.exec(url.pathname);
    if (match?.[1] === undefined || url.search !== '' || url.username !== '' || url.password !== '') {
      throw new SecretReferenceError(`'${url.origin}${url.pathname}' is not https://VAULT/secrets/NAME`);
    }
    return { vaultUrl: normalizeVaultUrl(url.origin), name: match[1] };
  }
  const [vault, name, ...rest] = trimmed.split('/');
  if (
    rest.length === 0 &&
    vault !== undefined &&
    name !== undefined &&
    VAULT_NAME.test(vault) &&
    NAME.test(name)
  ) {
    return { vaultUrl: `https://${vault.toLowerCase()}.vault.azure.net`, name };
  }
  throw new SecretReferenceError(
    `'${trimmed}' is neither a secret name, VAULTNAME/NAME nor https://VAULT/secrets/NAME`,
  );
}

export function describeReference(ref: SecretReference): string {
  return `${ref.vaultUrl}/secrets/${ref.name}`;
}
