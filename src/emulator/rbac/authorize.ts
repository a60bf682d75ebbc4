import type { Route } from '../routes';
import type { RbacPolicy, RoleName } from './rbac-file';

const SECRETS = 'Microsoft.KeyVault/vaults/secrets';

/** The data action Key Vault checks for each secrets operation (its RBAC permission model). */
const DATA_ACTIONS: Record<Route['op'], string> = {
  getSecret: 'getSecret/action',
  setSecret: 'setSecret/action',
  updateSecret: 'update/action',
  getSecrets: 'readMetadata/action',
  getSecretVersions: 'readMetadata/action',
  getDeletedSecrets: 'readMetadata/action',
  getDeletedSecret: 'readMetadata/action',
  deleteSecret: 'delete',
  recoverDeletedSecret: 'recover/action',
  purgeDeletedSecret: 'purge/action',
  backupSecret: 'backup/action',
  restoreSecret: 'restore/action',
};

export function dataActionOf(op: Route['op']): string {
  return `${SECRETS}/${DATA_ACTIONS[op]}`;
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
