import { ManualClock } from '../../src/clock/clock';
import { ROLE, type Identity } from '../../src/access/identity';
import { isRefusal } from '../../src/access/refusal';
import {
  approvalRequired,
  authorizeCheckout,
  decide,
  effectiveState,
  openRequest,
} from '../../src/access/rules';
import type { AccessRequest } from '../../src/access/access-request';

const POLICY = { approvalTimeoutMs: 3600_000, accessMaxMs: 8 * 3600_000 };
const bob: Identity = { id: 'oid-bob', name: 'bob@contoso.example', kind: 'user', roles: [ROLE.checkout] };
const carol: Identity = {
  id: 'oid-carol',
  name: 'carol@contoso.example',
  kind: 'user',
  roles: [ROLE.approve],
};
const erin: Identity = {
  id: 'oid-erin',
  name: 'erin@contoso.example',
  kind: 'user',
  roles: [ROLE.checkout, ROLE.approve],
};
const nobody: Identity = { id: 'oid-dave', name: 'dave@contoso.example', kind: 'user', roles: [] };
const guarded = { 'rotation-target': 'keyvault', 'rotation-approval': 'required' };

function code(result: unknown): string | undefined {
  return isRefusal(result) ? result.code : undefined;
}

function open(clock: ManualClock, who = bob, duration?: string): AccessRequest {
  const request = openRequest(
    {
      secret: 'svc-a',
      vault: 'https://v',
      reason: 'INC-1 fix',
      ticket: 'INC-1',
      ...(duration !== undefined && { duration }),
    },
    who,
    clock.now(),
    POLICY,
    'req-1',
  );
  if (isRefusal(request)) throw new Error(request.message);
  return request;
}

function approved(clock: ManualClock, duration?: string): AccessRequest {
  const decided = decide(open(clock, bob, duration), carol, 'approve', undefined, clock.now());
  if (isRefusal(decided)) throw new Error(decided.message);
  return decided;
}

const ask = (request: AccessRequest | undefined, tags: Record<string, string> = guarded) => ({
  secret: 'svc-a',
  vault: 'https://v',
  tags,
  reason: 'INC-1 fix',
  ticket: 'INC-1',
  request,
});

describe('access rules (pure, with a manual clock)', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock('2026-12-01T10:00:00Z');
  });

  it('opens a pending request that must be decided within the approval timeout', () => {
    const request = open(clock);
    expect(request).toMatchObject({
      state: 'pending',
      decideBy: '2026-12-01T11:00:00.000Z',
      durationMs: 3600_000,
    });
    clock.advance('PT59M');
    expect(effectiveState(request, clock.now())).toBe('pending');
    clock.advance('PT1M');
    expect(effectiveState(request, clock.now())).toBe('expired');
  });

  it('refuses a request without the checkout role, reason or ticket, or longer than the maximum window', () => {
    const input = { secret: 'svc-a', vault: 'https://v', reason: 'r', ticket: 'T-1' };
    expect(code(openRequest(input, nobody, clock.now(), POLICY, 'x'))).toBe('ROLE_MISSING');
    expect(code(openRequest({ ...input, reason: ' ' }, bob, clock.now(), POLICY, 'x'))).toBe(
      'REASON_MISSING',
    );
    expect(code(openRequest({ ...input, ticket: '' }, bob, clock.now(), POLICY, 'x'))).toBe('TICKET_MISSING');
    expect(code(openRequest({ ...input, ticket: 'has spaces' }, bob, clock.now(), POLICY, 'x'))).toBe(
      'INPUT_INVALID',
    );
    expect(code(openRequest({ ...input, duration: 'PT8H1S' }, bob, clock.now(), POLICY, 'x'))).toBe(
      'DURATION_TOO_LONG',
    );
    expect(code(openRequest({ ...input, duration: 'soon' }, bob, clock.now(), POLICY, 'x'))).toBe(
      'INPUT_INVALID',
    );
    const short = openRequest(input, bob, clock.now(), { ...POLICY, accessMaxMs: 600_000 }, 'x');
    expect(isRefusal(short) ? undefined : short.durationMs).toBe(600_000);
  });

  it('lets only someone else with Rotator.Approve decide, once, before the request expires', () => {
    const request = open(clock, erin);
    expect(code(decide(request, erin, 'approve', undefined, clock.now()))).toBe('SELF_APPROVAL');
    expect(code(decide(request, bob, 'approve', undefined, clock.now()))).toBe('ROLE_MISSING');
    expect(code(decide(request, carol, 'deny', undefined, clock.now()))).toBe('REASON_MISSING');
    const decided = decide(request, carol, 'approve', 'ok', clock.now());
    expect(decided).toMatchObject({
      state: 'approved',
      approver: { id: carol.id },
      windowEndsAt: '2026-12-01T11:00:00.000Z',
    });
    expect(code(decide(decided as AccessRequest, carol, 'approve', undefined, clock.now()))).toBe(
      'REQUEST_NOT_PENDING',
    );
    const late = open(clock);
    clock.advance('PT1H');
    expect(code(decide(late, carol, 'approve', undefined, clock.now()))).toBe('REQUEST_EXPIRED');
  });

  it('opens the window at the approval, for the requested duration', () => {
    const request = open(clock, bob, 'PT2H');
    clock.advance('PT30M');
    const decided = decide(request, carol, 'approve', undefined, clock.now());
    expect(decided).toMatchObject({ windowEndsAt: '2026-12-01T12:30:00.000Z' });
  });

  it('needs role, reason and ticket for every checkout, and an approval only where the policy asks', () => {
    const open = { 'rotation-target': 'keyvault' };
    expect(authorizeCheckout(ask(undefined, open), bob, clock.now())).toEqual({ request: undefined });
    expect(code(authorizeCheckout(ask(undefined, open), carol, clock.now()))).toBe('ROLE_MISSING');
    expect(code(authorizeCheckout({ ...ask(undefined, open), ticket: '' }, bob, clock.now()))).toBe(
      'TICKET_MISSING',
    );
    expect(code(authorizeCheckout({ ...ask(undefined, open), reason: '' }, bob, clock.now()))).toBe(
      'REASON_MISSING',
    );
    expect(code(authorizeCheckout(ask(undefined), bob, clock.now()))).toBe('APPROVAL_REQUIRED');
  });

  it('treats any rotation-approval value but none as required (fails closed)', () => {
    expect(approvalRequired({})).toBe(false);
    expect(approvalRequired({ 'rotation-approval': 'none' })).toBe(false);
    expect(approvalRequired({ 'rotation-approval': 'required' })).toBe(true);
    expect(approvalRequired({ 'rotation-approval': 'Requried' })).toBe(true);
  });

  it('accepts the requester’s own approved request inside its window, and nothing else', () => {
    const request = approved(clock, 'PT1H');
    expect(authorizeCheckout(ask(request), bob, clock.now())).toEqual({ request });
    expect(code(authorizeCheckout(ask(request), { ...erin, id: 'oid-someone' }, clock.now()))).toBe(
      'REQUEST_MISMATCH',
    );
    expect(code(authorizeCheckout({ ...ask(request), secret: 'svc-b' }, bob, clock.now()))).toBe(
      'REQUEST_MISMATCH',
    );
    expect(code(authorizeCheckout({ ...ask(request), ticket: 'INC-2' }, bob, clock.now()))).toBe(
      'REQUEST_MISMATCH',
    );
    expect(code(authorizeCheckout(ask({ ...request, state: 'used' }), bob, clock.now()))).toBe(
      'APPROVAL_EXPIRED',
    );
    expect(code(authorizeCheckout(ask(open(clock)), bob, clock.now()))).toBe('APPROVAL_REQUIRED');
    clock.advance('PT1H');
    const outside = authorizeCheckout(ask(request), bob, clock.now());
    expect(code(outside)).toBe('APPROVAL_EXPIRED');
    expect(isRefusal(outside) && outside.message).toContain('access window');
  });
});
