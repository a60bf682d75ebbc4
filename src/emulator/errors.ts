/** Key Vault's error body: a top-level code, the service's text, and for some failures an inner code. */
interface KvErrorBody {
  error: { code: string; message: string; innererror?: { code: string } };
}

/** A failure the emulator answers in Key Vault's own body shape, so the SDK maps it to a RestError. */
export class KvError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  /** The service's `innererror.code` (ObjectIsBeingDeleted, SecretDisabled, …), which clients branch on. */
  readonly innerCode: string | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    innerCode?: string,
  ) {
    super(message);
    this.name = 'KvError';
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.innerCode = innerCode;
  }

  body(): KvErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode !== undefined && { innererror: { code: this.innerCode } }),
      },
    };
  }
}

// The messages below are the service's own texts, as recorded from Key Vault by the Azure SDKs' tests
// and in public issue reports; clients and operators match on them.

export function badParameter(message: string): KvError {
  return new KvError(400, 'BadParameter', message);
}

export function secretNotFound(name: string, version?: string): KvError {
  const what = version ? `${name}/${version}` : name;
  return new KvError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

export function deletedSecretNotFound(name: string): KvError {
  return new KvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
}

/** Get and get-deleted of a disabled secret; the SDKs' pollers take a 403 as "the object exists". */
export function secretDisabled(): KvError {
  return new KvError(
    403,
    'Forbidden',
    'Operation get is not allowed on a disabled secret.',
    {},
    'SecretDisabled',
  );
}

/** A 409 Conflict with the service's inner code, which clients branch on. */
function conflict(message: string, innerCode: string): KvError {
  return new KvError(409, 'Conflict', message, {}, innerCode);
}

export function deletedButRecoverable(name: string): KvError {
  return conflict(
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    'ObjectIsDeletedButRecoverable',
  );
}

/** A set or restore while a delete or purge of the name is still under way. */
export function beingDeletedCannotRecreate(name: string): KvError {
  return conflict(
    `Secret ${name} is currently being deleted and cannot be re-created; retry later.`,
    'ObjectIsBeingDeleted',
  );
}

/** A purge or recover sent before the delete finished. */
export function beingDeleted(): KvError {
  return conflict('Secret is currently being deleted.', 'ObjectIsBeingDeleted');
}

export function beingRecovered(name: string): KvError {
  return conflict(
    `Secret ${name} is currently being recovered and cannot be re-created; retry later.`,
    'ObjectIsBeingRecovered',
  );
}

export function alreadyExists(name: string): KvError {
  return new KvError(409, 'Conflict', `Secret ${name} already exists.`);
}
