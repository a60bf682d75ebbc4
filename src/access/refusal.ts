/**
 * Why the access rules said no. `status` is the HTTP answer (400 asked wrongly, 403 may not, 404 not
 * there, 409 no longer possible); `missing` names what the caller lacks, for the CLI's one-line error.
 */
export type RefusalCode =
  | 'ROLE_MISSING'
  | 'TICKET_MISSING'
  | 'REASON_MISSING'
  | 'APPROVAL_REQUIRED'
  | 'APPROVAL_EXPIRED'
  | 'SELF_APPROVAL'
  | 'REQUEST_NOT_FOUND'
  | 'REQUEST_NOT_PENDING'
  | 'REQUEST_EXPIRED'
  | 'REQUEST_MISMATCH'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_UNMANAGED'
  | 'INPUT_INVALID'
  | 'DURATION_TOO_LONG';

export interface Refusal {
  refused: true;
  code: RefusalCode;
  status: 400 | 403 | 404 | 409;
  message: string;
}

const STATUS: Record<RefusalCode, Refusal['status']> = {
  ROLE_MISSING: 403,
  TICKET_MISSING: 400,
  REASON_MISSING: 400,
  APPROVAL_REQUIRED: 403,
  APPROVAL_EXPIRED: 403,
  SELF_APPROVAL: 403,
  REQUEST_NOT_FOUND: 404,
  REQUEST_NOT_PENDING: 409,
  REQUEST_EXPIRED: 409,
  REQUEST_MISMATCH: 403,
  SECRET_NOT_FOUND: 404,
  SECRET_UNMANAGED: 404,
  INPUT_INVALID: 400,
  DURATION_TOO_LONG: 400,
};

export function refuse(code: RefusalCode, message: string): Refusal {
  return { refused: true, code, status: STATUS[code], message };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as { refused?: unknown }).refused === true;
}
