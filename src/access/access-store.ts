import type { AccessRequest, StoredState } from './access-request';

/**
 * Where requests live (Redis in the daemon). Losing it loses pending requests and open windows,
 * and access then fails closed: a checkout that needs an approval finds none.
 */
export interface AccessStore {
  create(request: AccessRequest): Promise<void>;
  get(id: string): Promise<AccessRequest | undefined>;
  /** Every kept request, newest first. */
  list(): Promise<AccessRequest[]>;
  /**
   * Replaces the request only if its stored state is still `from`, atomically: two approvers, or
   * two checkouts racing on one approval, cannot both win. False when it changed first.
   */
  transition(id: string, from: StoredState, next: AccessRequest): Promise<boolean>;
}
