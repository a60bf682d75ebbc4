import type { Principal } from './identity';

/** What a request is, as stored: pending until decided, approved until its window ends or it is used. */
export type StoredState = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

/** A request for access to one secret. It holds names, times and people, never a value. */
export interface AccessRequest {
  id: string;
  secret: string;
  vault: string;
  requester: Principal;
  reason: string;
  ticket: string;
  /** The access window asked for, ISO-8601 and in milliseconds. */
  duration: string;
  durationMs: number;
  createdAt: string;
  /** A pending request nobody decided by then expires (ROTATOR_APPROVAL_TIMEOUT). */
  decideBy: string;
  state: StoredState;
  approver?: Principal;
  decidedAt?: string;
  decisionReason?: string;
  /** Approved: the window closes then. */
  windowEndsAt?: string;
  usedAt?: string;
  checkoutId?: string;
}

/** The answer of `GET /v1/requests`: the stored record with its state as of now. */
export type RequestView = AccessRequest & { effectiveState: StoredState };
