import type { Clock } from '../clock/clock';
import type { SecretStore, SecretWithValue } from '../vault/secret-store';
import type { AccessRequest, RequestView } from './access-request';
import { silentObserver, type AccessEvent, type AccessObserver } from './access-events';
import type { AccessStore } from './access-store';
import { recordThenRead, type UsageRecorder } from './release-value';
import { principalOf, hasRole, ROLE, type Identity } from './identity';
import { isRefusal, refuse, type Refusal } from './refusal';
import {
  authorizeCheckout,
  decide,
  effectiveState,
  markExpired,
  markUsed,
  openRequest,
  type AccessPolicy,
  type Decision,
} from './rules';

export type { UsageRecorder, UsageToRecord } from './release-value';

export interface AccessServiceDeps {
  store: AccessStore;
  vaults: readonly SecretStore[];
  recordUsage: UsageRecorder;
  clock: Clock;
  policy: AccessPolicy;
  newId(): string;
  observer?: AccessObserver;
}

export interface CheckoutResult {
  secret: string;
  vault: string;
  value: string;
  checkoutId: string;
  forcedAt: string;
  requestId: string | undefined;
}

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/**
 * The access side's use cases: request, decide, list, check out. Every state change and every refusal
 * is reported to the observer (audit record, span attributes, counter); no value is ever reported.
 */
export class AccessService {
  private readonly observer: AccessObserver;

  constructor(private readonly deps: AccessServiceDeps) {
    this.observer = deps.observer ?? silentObserver;
  }

  request(
    identity: Identity,
    input: { secret: string; reason: string; ticket: string; duration?: string },
  ): Promise<AccessRequest | Refusal> {
    return this.observer.within('request', async () => {
      const base = { operation: 'request' as const, actor: principalOf(identity), reason: input.reason };
      const found = await this.locate(input.secret);
      if (isRefusal(found)) return this.refused({ ...base, secret: input.secret, vault: '' }, found);
      const opened = openRequest(
        { ...input, secret: found.name, vault: found.vaultUrl },
        identity,
        this.deps.clock.now(),
        this.deps.policy,
        this.deps.newId(),
      );
      const where = { ...base, secret: found.name, vault: found.vaultUrl, ticket: input.ticket };
      if (isRefusal(opened)) return this.refused(where, opened);
      await this.deps.store.create(opened);
      this.observer.record({ ...where, outcome: 'requested', requestId: opened.id, until: opened.decideBy });
      return opened;
    });
  }

  decide(
    identity: Identity,
    id: string,
    decision: Decision,
    reason: string | undefined,
  ): Promise<AccessRequest | Refusal> {
    return this.observer.within('decision', async () => {
      const stored = await this.deps.store.get(id);
      const base = { operation: 'decision' as const, actor: principalOf(identity), reason: reason ?? '' };
      if (stored === undefined) {
        return this.refused(
          { ...base, secret: '', vault: '', requestId: id.slice(0, 64) },
          refuse(
            'REQUEST_NOT_FOUND',
            `no request ${id.slice(0, 64)} (requests are kept in Redis; ask again if it was lost)`,
          ),
        );
      }
      const request = await this.settle(stored);
      const where = {
        ...base,
        secret: request.secret,
        vault: request.vault,
        ticket: request.ticket,
        requestId: id,
      };
      const decided = decide(request, identity, decision, reason, this.deps.clock.now());
      if (isRefusal(decided)) return this.refused(where, decided);
      if (!(await this.deps.store.transition(id, 'pending', decided))) {
        return this.refused(
          where,
          refuse('REQUEST_NOT_PENDING', `request ${id} was decided by someone else first`),
        );
      }
      // The requester is the actor of the request; the approver's fields say who decided.
      this.observer.record({
        ...where,
        actor: request.requester,
        approver: principalOf(identity),
        outcome: decision === 'approve' ? 'approved' : 'denied',
        until: decided.windowEndsAt,
      });
      return decided;
    });
  }

  /** Approvers see every request; anyone else only their own. */
  async list(identity: Identity, options: { pending?: boolean } = {}): Promise<RequestView[] | Refusal> {
    if (!hasRole(identity, ROLE.checkout) && !hasRole(identity, ROLE.approve))
      return refuse('ROLE_MISSING', `${identity.name} has neither ${ROLE.checkout} nor ${ROLE.approve}`);
    const all = await Promise.all((await this.deps.store.list()).map((r) => this.settle(r)));
    const now = this.deps.clock.now();
    return all
      .filter((r) => hasRole(identity, ROLE.approve) || r.requester.id === identity.id)
      .map((r) => ({ ...r, effectiveState: effectiveState(r, now) }))
      .filter((r) => options.pending !== true || r.effectiveState === 'pending');
  }

  checkout(
    identity: Identity,
    input: { secret: string; reason: string; ticket: string; requestId?: string },
  ): Promise<CheckoutResult | Refusal> {
    return this.observer.within('checkout', async () => {
      const base = {
        operation: 'checkout' as const,
        actor: principalOf(identity),
        reason: input.reason,
        ticket: input.ticket,
        requestId: input.requestId,
      };
      const found = await this.locate(input.secret);
      if (isRefusal(found)) return this.refused({ ...base, secret: input.secret, vault: '' }, found);
      const where = { ...base, secret: found.name, vault: found.vaultUrl };
      const request = await this.requestFor(identity, found, input);
      if (isRefusal(request)) return this.refused(where, request);
      const now = this.deps.clock.now();
      const allowed = authorizeCheckout(
        {
          secret: found.name,
          vault: found.vaultUrl,
          tags: found.tags,
          reason: input.reason,
          ticket: input.ticket,
          request,
        },
        identity,
        now,
      );
      if (isRefusal(allowed)) return this.refused(where, allowed);
      const checkoutId = this.deps.newId();
      const used = allowed.request;
      // The approval is spent before anything else: a replay racing this checkout finds it used.
      if (
        used !== undefined &&
        !(await this.deps.store.transition(used.id, 'approved', markUsed(used, now, checkoutId)))
      ) {
        return this.refused(
          where,
          refuse('APPROVAL_EXPIRED', `the approval of request ${used.id} was already used`),
        );
      }
      const released = await recordThenRead({ ...this.deps, store: this.storeOf(found.vaultUrl) }, found, {
        actor: identity.name,
        reason: input.reason,
        checkoutId,
      });
      this.observer.record({
        ...where,
        requestId: used?.id,
        approver: used?.approver,
        checkoutId,
        outcome: 'checked-out',
      });
      return { ...released, checkoutId, requestId: used?.id };
    });
  }

  private storeOf(vaultUrl: string): SecretStore {
    const store = this.deps.vaults.find((s) => s.vaultUrl === vaultUrl);
    if (store === undefined) throw new Error(`no store for ${vaultUrl}`);
    return store;
  }

  private async locate(name: string): Promise<SecretWithValue | Refusal> {
    if (!SECRET_NAME.test(name))
      return refuse('INPUT_INVALID', 'a secret name is 1-127 letters, digits and -');
    for (const store of this.deps.vaults) {
      const secret = await store.get(name);
      if (secret === undefined) continue;
      if (secret.tags['rotation-target'] === undefined)
        return refuse('SECRET_UNMANAGED', `${name} is not managed by the rotator (no rotation-target tag)`);
      return secret;
    }
    return refuse('SECRET_NOT_FOUND', `no managed secret named ${name}`);
  }

  /** The request a checkout uses: the one named, or the caller's own approved one for this secret. */
  private async requestFor(
    identity: Identity,
    secret: SecretWithValue,
    input: { ticket: string; requestId?: string },
  ): Promise<AccessRequest | undefined | Refusal> {
    if (input.requestId !== undefined) {
      const named = await this.deps.store.get(input.requestId);
      if (named === undefined)
        return refuse(
          'APPROVAL_REQUIRED',
          `no request ${input.requestId.slice(0, 64)}: it expired, or Redis lost it; request access again`,
        );
      return this.settle(named);
    }
    const now = this.deps.clock.now();
    const mine = (await this.deps.store.list()).filter(
      (r) =>
        r.requester.id === identity.id &&
        r.secret.toLowerCase() === secret.name.toLowerCase() &&
        r.vault === secret.vaultUrl &&
        r.ticket === input.ticket.trim() &&
        effectiveState(r, now) === 'approved',
    );
    return mine[0];
  }

  /** Stores and reports the expiry of a request whose time ran out (once: the transition is atomic). */
  private async settle(request: AccessRequest): Promise<AccessRequest> {
    const state = effectiveState(request, this.deps.clock.now());
    if (state !== 'expired' || request.state === 'expired') return request;
    const expired = markExpired(request);
    if (await this.deps.store.transition(request.id, request.state, expired)) {
      this.observer.record({
        operation: 'decision',
        outcome: 'expired',
        secret: request.secret,
        vault: request.vault,
        actor: request.requester,
        reason: request.reason,
        ticket: request.ticket,
        requestId: request.id,
        approver: request.approver,
        until: request.state === 'pending' ? request.decideBy : request.windowEndsAt,
      });
    }
    return expired;
  }

  private refused<T>(event: Omit<AccessEvent, 'outcome'>, refusal: Refusal): Refusal | T {
    this.observer.record({ ...event, outcome: 'refused', errorCode: refusal.code });
    return refusal;
  }
}
