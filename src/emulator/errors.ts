/** A failure the emulator answers in Key Vault's own body shape, so the SDK maps it to a RestError. */
export class KvError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'KvError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function badParameter(message: string): KvError {
  return new KvError(400, 'BadParameter', message);
}

export function secretNotFound(name: string, version?: string): KvError {
  const what = version ? `(name/id) ${name}/${version}` : `(name/id) ${name}`;
  return new KvError(404, 'SecretNotFound', `A secret with ${what} was not found in this key vault.`);
}

export function deletedSecretNotFound(name: string): KvError {
  return new KvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
}
