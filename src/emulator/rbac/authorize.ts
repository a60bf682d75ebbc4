import type { Route } from '../routes';
import type { RbacPolicy, RoleName } from './rbac-file';

const SECRETS = 'Microsoft.KeyVault/vaults/secrets';

/** The data action Key Vault checks for each secrets operation (its RBAC permission model). */
export function dataActionOf(op: Route['op']): string {
  switch (op) {
    case 'getSecret':
      return `${SECRETS}/getSecret/action`;
    case 'setSecret':
      return `${SECRETS}/setSecret/action`;
    case 'updateSecret':
      return `${SECRETS}/update/action`;
    case 'getSecrets':
    case 'getSecretVersions':
    case 'getDeletedSecrets':
    case 'getDeletedSecret':
      return `${SECRETS}/readMetadata/action`;
    case 'deleteSecret':
      return `${SECRETS}/delete`;
    case 'recoverDeletedSecret':
      return `${SECRETS}/recover/action`;
    case 'purgeDeletedSecret':
      return `${SECRETS}/purge/action`;
    case 'backupSecret':
      return `${SECRETS}/backup/action`;
    case 'restoreSecret':
      return `${SECRETS}/restore/action`;
  }
}

/** The built-in roles' dataActions: Secrets User `getSecret` + `readMetadata`, Secrets Officer `secrets/*`. */
function roleAllows(role: RoleName, action: string): boolean {
  if (role === 'Key Vault Secrets Officer') return action.startsWith(`${SECRETS}/`);
  return action === `${SECRETS}/getSecret/action` || action === `${SECRETS}/readMetadata/action`;
}

/**
 * The secret an operation is scoped to; vault-wide operations (listing secrets or deleted secrets,
 * restore) have none. Listing one secret's versions addresses that secret, as on the service.
 */
export function secretScopeOf(route: Route): string | undefined {
  return 'name' in route ? route.name.toLowerCase() : undefined;
}

export interface Decision {
  allowed: boolean;
  action: string;
}

/**
 * Whether `oid` holds a role granting the operation's data action at the vault, or at the one secret
 * the operation addresses. Lists need the vault scope: a secret-scope assignment never lists.
 */
export function authorize(policy: RbacPolicy, oid: string | undefined, route: Route): Decision {
  const action = dataActionOf(route.op);
  const secret = secretScopeOf(route);
  const allowed =
    oid !== undefined &&
    policy.assignments.some(
      (a) =>
        a.principalId.toLowerCase() === oid.toLowerCase() &&
        (a.secret === undefined || a.secret === secret) &&
        roleAllows(a.role, action),
    );
  return { allowed, action };
}
