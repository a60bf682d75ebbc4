import { RotatorError } from '../../errors/rotator-error';
import type { TargetContext } from '../../rotation';

/**
 * Overlap for PostgreSQL, where a role holds one password: two login roles take turns (AWS's
 * "alternating users"). The operator creates both, members of the group role that owns the grants;
 * `rotation-logins` names them. Each rotation sets a new password on the login that is not current,
 * so the previous login keeps working through the overlap; retiring it sets its password to NULL.
 * Every version records its login in `rotation-login`, which consumers use as the user name.
 */
export const LOGINS_TAG = 'rotation-logins';
export const LOGIN_TAG = 'rotation-login';

/** Consumers of App Service and Functions Key Vault references refresh within a day. */
export const POSTGRES_OVERLAP_DEFAULT_MS = 24 * 3600 * 1000;

const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** The two alternating logins, or undefined when the secret rotates one role (no overlap). */
export function loginsOf(
  tags: Readonly<Record<string, string>>,
  secretName: string,
): [string, string] | undefined {
  const raw = tags[LOGINS_TAG];
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((n) => n.trim());
  const [a, b] = names;
  if (
    names.length !== 2 ||
    a === undefined ||
    b === undefined ||
    a === b ||
    !ROLE_NAME.test(a) ||
    !ROLE_NAME.test(b)
  ) {
    throw new RotatorError(
      'TARGET_MISCONFIGURED',
      `secret ${secretName}: tag ${LOGINS_TAG}='${raw}' is not two distinct role names`,
      {
        hint: `set ${LOGINS_TAG} to two login roles, e.g. app_blue,app_green, both members of the group role, or remove it`,
        permanent: true,
      },
    );
  }
  return [a, b];
}

/** The login the next password goes to: the one the current version does not use. */
export function nextLogin(logins: [string, string], current: string | undefined): string {
  return current === logins[0] ? logins[1] : logins[0];
}

/** The login a version's password belongs to. */
export function loginOfVersion(
  ctx: TargetContext,
  tags: Readonly<Record<string, string>>,
): string | undefined {
  return tags[LOGIN_TAG] ?? (ctx.tags[LOGINS_TAG] === undefined ? ctx.tags['rotation-account'] : undefined);
}
