/** The app roles of the rotator's app registration, as they arrive in a token's `roles` claim. */
export const ROLE = {
  checkout: 'Rotator.Checkout',
  approve: 'Rotator.Approve',
} as const;

export type AppRole = (typeof ROLE)[keyof typeof ROLE];

/**
 * Who acted, as a verified token says: never free text. `id` is the token's `oid`; `name` its
 * `upn`/`preferred_username` (people) or `appid`/`azp` (workloads).
 */
export interface Identity {
  id: string;
  name: string;
  kind: 'user' | 'app';
  roles: readonly string[];
}

/** The part of an identity an audit record or a request keeps. */
export interface Principal {
  id: string;
  name: string;
}

export function principalOf(identity: Identity): Principal {
  return { id: identity.id, name: identity.name };
}

export function hasRole(identity: Identity, role: AppRole): boolean {
  return identity.roles.includes(role);
}
