import { DateTime, Duration } from 'luxon';
import type { AccessRequest, StoredState } from './access-request';
import { hasRole, principalOf, ROLE, type Identity } from './identity';
import { refuse, type Refusal } from './refusal';

/** The access policy compiled from configuration, in milliseconds. */
export interface AccessPolicy {
  approvalTimeoutMs: number;
  accessMaxMs: number;
}

export interface RequestInput {
  secret: string;
  vault: string;
  reason: string;
  ticket: string;
  /** ISO-8601; absent: PT1H, or the maximum when that is shorter. */
  duration?: string;
}

const TEXT_MAX = { reason: 1024, ticket: 128 } as const;
const DEFAULT_DURATION = 'PT1H';
const TICKET = /^[\w.:#/-]{1,128}$/;

function iso(time: DateTime): string {
  return time.toUTC().toISO() ?? '';
}

/** The state of a request at `now`: a stored pending or approved one may have run out of time. */
export function effectiveState(request: AccessRequest, now: DateTime): StoredState {
  if (request.state === 'pending' && now >= DateTime.fromISO(request.decideBy)) return 'expired';
  if (request.state === 'approved' && now >= DateTime.fromISO(request.windowEndsAt ?? request.decideBy))
    return 'expired';
  return request.state;
}

/** A secret's own policy: `rotation-approval=required` needs an approved request; unknown values fail closed. */
export function approvalRequired(tags: Readonly<Record<string, string>>): boolean {
  const value = tags['rotation-approval']?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'none';
}

/** Reason and ticket: both required, bounded, the ticket an id rather than prose. */
export function checkPurpose(reason: string, ticket: string): Refusal | undefined {
  if (reason.trim() === '') return refuse('REASON_MISSING', 'a reason is required: say why you need access');
  if (reason.length > TEXT_MAX.reason)
    return refuse('INPUT_INVALID', `the reason is longer than ${TEXT_MAX.reason} characters`);
  if (ticket.trim() === '')
    return refuse('TICKET_MISSING', 'a ticket id is required: name the service request behind this use');
  if (!TICKET.test(ticket.trim()))
    return refuse('INPUT_INVALID', 'the ticket must be an id of 1-128 letters, digits and . : # / _ -');
  return undefined;
}

function roleMissing(identity: Identity, role: string, what: string): Refusal {
  return refuse('ROLE_MISSING', `${identity.name} lacks the app role ${role}, needed to ${what}`);
}

/** Opens a pending request, or says why not. Pure: the id and the time come from the caller. */
export function openRequest(
  input: RequestInput,
  identity: Identity,
  now: DateTime,
  policy: AccessPolicy,
  id: string,
): AccessRequest | Refusal {
  if (!hasRole(identity, ROLE.checkout)) return roleMissing(identity, ROLE.checkout, 'request access');
  const purpose = checkPurpose(input.reason, input.ticket);
  if (purpose !== undefined) return purpose;
  const asked = input.duration ?? DEFAULT_DURATION;
  const durationMs = durationMillis(asked);
  if (durationMs === undefined)
    return refuse('INPUT_INVALID', `duration ${asked.slice(0, 40)} is not a positive ISO-8601 duration`);
  // The default window is PT1H, or the maximum when an operator set a shorter one.
  const windowMs = input.duration === undefined ? Math.min(durationMs, policy.accessMaxMs) : durationMs;
  if (windowMs > policy.accessMaxMs)
    return refuse('DURATION_TOO_LONG', `duration ${asked} is longer than the maximum access window`);
  return {
    id,
    secret: input.secret,
    vault: input.vault,
    requester: principalOf(identity),
    reason: input.reason.trim(),
    ticket: input.ticket.trim(),
    duration: windowMs < durationMs ? Duration.fromMillis(windowMs).toISO() : asked,
    durationMs: windowMs,
    createdAt: iso(now),
    decideBy: iso(now.plus({ milliseconds: policy.approvalTimeoutMs })),
    state: 'pending',
  };
}

/** A positive ISO-8601 duration in milliseconds, or undefined. */
export function durationMillis(text: string): number | undefined {
  if (!/^P/.test(text) || text.length > 40) return undefined;
  const parsed = Duration.fromISO(text);
  const ms = parsed.isValid ? parsed.toMillis() : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export type Decision = 'approve' | 'deny';

/** Approves or denies someone else's pending request; the approval opens the requested window now. */
export function decide(
  request: AccessRequest,
  identity: Identity,
  decision: Decision,
  reason: string | undefined,
  now: DateTime,
): AccessRequest | Refusal {
  if (!hasRole(identity, ROLE.approve)) return roleMissing(identity, ROLE.approve, `${decision} requests`);
  if (request.requester.id === identity.id)
    return refuse(
      'SELF_APPROVAL',
      `nobody decides their own request: ask another approver to ${decision} ${request.id}`,
    );
  const state = effectiveState(request, now);
  if (state === 'expired')
    return refuse(
      'REQUEST_EXPIRED',
      `request ${request.id} expired at ${request.state === 'pending' ? request.decideBy : (request.windowEndsAt ?? '')}; the requester must ask again`,
    );
  if (state !== 'pending')
    return refuse(
      'REQUEST_NOT_PENDING',
      `request ${request.id} is already ${state}; a decision is taken once`,
    );
  const why = reason?.trim() ?? '';
  if (decision === 'deny' && why === '')
    return refuse('REASON_MISSING', 'a denial needs a reason, for the requester and the audit trail');
  if (why.length > TEXT_MAX.reason)
    return refuse('INPUT_INVALID', `the reason is longer than ${TEXT_MAX.reason} characters`);
  return {
    ...request,
    state: decision === 'approve' ? 'approved' : 'denied',
    approver: principalOf(identity),
    decidedAt: iso(now),
    ...(why !== '' && { decisionReason: why }),
    ...(decision === 'approve' && { windowEndsAt: iso(now.plus({ milliseconds: request.durationMs })) }),
  };
}

export interface CheckoutAsk {
  secret: string;
  vault: string;
  tags: Readonly<Record<string, string>>;
  reason: string;
  ticket: string;
  /** The approved request this checkout uses, when there is one. */
  request: AccessRequest | undefined;
}

/**
 * May this identity check the secret out now? Returns the request to mark used (when one is
 * involved), or why not. Every checkout needs the role, a reason and a ticket; a secret whose policy
 * needs approval also needs the caller's own approved request for it, inside its window, unused.
 */
export function authorizeCheckout(
  ask: CheckoutAsk,
  identity: Identity,
  now: DateTime,
): { request: AccessRequest | undefined } | Refusal {
  if (!hasRole(identity, ROLE.checkout)) return roleMissing(identity, ROLE.checkout, 'check secrets out');
  const purpose = checkPurpose(ask.reason, ask.ticket);
  if (purpose !== undefined) return purpose;
  const request = ask.request;
  if (request === undefined) {
    if (!approvalRequired(ask.tags)) return { request: undefined };
    return refuse(
      'APPROVAL_REQUIRED',
      `${ask.secret} needs an approved request: run rotator request ${ask.secret} and have another approver approve it`,
    );
  }
  if (request.requester.id !== identity.id)
    return refuse('REQUEST_MISMATCH', `request ${request.id} belongs to someone else`);
  if (request.secret.toLowerCase() !== ask.secret.toLowerCase() || request.vault !== ask.vault)
    return refuse('REQUEST_MISMATCH', `request ${request.id} is for ${request.secret}, not ${ask.secret}`);
  if (request.ticket !== ask.ticket.trim())
    return refuse('REQUEST_MISMATCH', `request ${request.id} was made for ticket ${request.ticket}`);
  const state = effectiveState(request, now);
  if (state === 'approved') return { request };
  if (state === 'used')
    return refuse(
      'APPROVAL_EXPIRED',
      `the approval of request ${request.id} was already used; request access again`,
    );
  if (state === 'expired')
    return refuse(
      'APPROVAL_EXPIRED',
      request.windowEndsAt !== undefined
        ? `the access window of request ${request.id} closed at ${request.windowEndsAt ?? ''}; request access again`
        : `request ${request.id} expired undecided at ${request.decideBy}; request access again`,
    );
  return refuse(
    'APPROVAL_REQUIRED',
    state === 'denied'
      ? `request ${request.id} was denied`
      : `request ${request.id} is still pending: another approver must approve it first`,
  );
}

/** The request after its checkout: used once, never again. */
export function markUsed(request: AccessRequest, now: DateTime, checkoutId: string): AccessRequest {
  return { ...request, state: 'used', usedAt: iso(now), checkoutId };
}

/** A pending or approved request whose time ran out, as stored from now on. */
export function markExpired(request: AccessRequest): AccessRequest {
  return { ...request, state: 'expired' };
}
