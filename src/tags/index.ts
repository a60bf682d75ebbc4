/**
 * The tag vocabulary of a managed secret, in one place: what operators set (the contract's
 * "A managed secret"), what the rotator writes on every version, and the pending record's own tags.
 */
export const TAG = {
  /** Marks a secret as managed and names where its credential lives. */
  target: 'rotation-target',
  account: 'rotation-account',
  connection: 'rotation-connection',
  interval: 'rotation-interval',
  length: 'rotation-length',
  /** Written by the rotator on each version it creates. */
  rotatedAt: 'rotated-at',
  reason: 'rotation-reason',
  rotationId: 'rotation-id',
  /** The Entra application password's key id of this version. */
  keyId: 'rotation-key-id',
  /** Written by the usage listener: the earliest checkout not yet satisfied by a rotation. */
  checkedOutAt: 'checked-out-at',
  /** The previous credential's retirement: pending (overlap) or proven/unproven (src/rotation/retirement-record.ts). */
  retirement: 'rotation-retirement',
  /** The alternating Postgres login role this version's password belongs to (rotation-logins). */
  login: 'rotation-login',
} as const;

/** Tags of the pending record (the write-ahead record of a rotation in flight). */
export const PENDING_TAGS = {
  for: 'rotation-pending-for',
  state: 'rotation-state',
  baseVersion: 'rotation-base-version',
  hasValue: 'rotation-pending-value',
  startedAt: 'rotation-started-at',
  /** The run that may act on this version (fencing: src/rotation/fencing.ts). */
  owner: 'rotation-owner',
} as const;

/** Tags that describe one version and must not be carried to the next. */
export const PER_VERSION_TAGS: readonly string[] = [
  TAG.checkedOutAt,
  TAG.keyId,
  TAG.rotatedAt,
  TAG.reason,
  TAG.rotationId,
  TAG.retirement,
  TAG.login,
];

/** What identifies a version's credential in its target (an Entra key id, an alternating login). */
export const CREDENTIAL_TAGS: readonly string[] = [TAG.keyId, TAG.login];

type Tags = Readonly<Record<string, string>>;

/** A secret is managed when it carries `rotation-target`. */
export function isManaged(tags: Tags): boolean {
  return tags[TAG.target] !== undefined;
}

/** The secret a prepared (unfinished) pending record belongs to; undefined for anything else. */
export function preparedPendingFor(tags: Tags): string | undefined {
  const pendingFor = tags[PENDING_TAGS.for];
  return pendingFor !== undefined && tags[PENDING_TAGS.state] === 'prepared' ? pendingFor : undefined;
}
