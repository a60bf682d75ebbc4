import type { Principal } from './identity';

/** The operations the access API traces, one span each (the contract's names). */
export type AccessOperation = 'request' | 'decision' | 'checkout';

/** One state change or refusal, for the audit record, the span and the counter. */
export interface AccessEvent {
  operation: AccessOperation;
  /** requested, approved, denied, expired, checked-out, refused */
  outcome: string;
  secret: string;
  vault: string;
  actor: Principal;
  reason: string;
  ticket?: string;
  requestId?: string;
  approver?: Principal;
  checkoutId?: string;
  errorCode?: string;
  /** When the window of an approval closes, or a pending request expires. */
  until?: string;
}

/** The port the service reports through; the daemon hands in the telemetry adapter. */
export interface AccessObserver {
  /** Runs one API operation inside its span. */
  within<T>(operation: AccessOperation, run: () => Promise<T>): Promise<T>;
  record(event: AccessEvent): void;
}

export const silentObserver: AccessObserver = {
  within: (_operation, run) => run(),
  record: () => undefined,
};
