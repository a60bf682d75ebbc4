/**
 * Every failure the rotator expects carries a stable code (branch on it, never on message text),
 * a hint that tells the operator what to do, and the exit code the CLI should use.
 */
type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE_INVALID'
  | 'VAULT_UNREACHABLE'
  | 'VAULT_THROTTLED'
  | 'VAULT_BUDGET_EXHAUSTED'
  | 'VAULT_FORBIDDEN'
  | 'VAULT_REJECTED'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_MISCONFIGURED'
  | 'ROTATION_LOCKED'
  | 'ROTATION_FENCED'
  | 'VERIFY_FAILED'
  | 'ROTATION_UNRECOVERABLE'
  | 'TARGET_MISCONFIGURED'
  | 'TARGET_UNREACHABLE'
  | 'TARGET_REJECTED'
  | 'TARGET_CANNOT_VERIFY'
  | 'REDIS_UNREACHABLE'
  | 'JOB_NOT_FOUND'
  | 'ROTATION_FAILED'
  | 'ACCESS_REFUSED'
  | 'ACCESS_UNAVAILABLE'
  | 'AUDIT_UNREACHABLE'
  | 'AUDIT_THROTTLED'
  | 'AUDIT_FORBIDDEN'
  | 'AUDIT_QUERY_FAILED';

interface RotatorErrorOptions {
  hint: string;
  exitCode?: 1 | 2;
  cause?: unknown;
  /** A permanent failure: retrying cannot help until someone fixes the secret or the target. */
  permanent?: boolean;
  /** How long the service asked us to wait (Retry-After) before trying again. */
  retryAfterMs?: number;
}

export class RotatorError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly exitCode: 1 | 2;
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: RotatorErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RotatorError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
    this.permanent = options.permanent ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** One line for a terminal: the problem, then the fix. */
  toOneLine(): string {
    return `${this.code}: ${this.message} — ${this.hint}`;
  }
}

export function isRotatorError(error: unknown): error is RotatorError {
  return error instanceof RotatorError;
}
