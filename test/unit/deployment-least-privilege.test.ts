import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bicepText,
  isObject,
  loadBicepFiles,
  REPO_ROOT,
  type BicepObject,
} from '../support/deployment-files';

/**
 * The Key Vault data action each SecretClient method needs (Azure's RBAC permission list for
 * Microsoft.KeyVault/vaults/secrets). A method the adapter starts calling must be added here, and
 * its action then appears in the role: the role can neither lag behind the code nor exceed it.
 */
const DATA_ACTION_OF: Record<string, string> = {
  getSecret: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  setSecret: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  updateSecretProperties: 'Microsoft.KeyVault/vaults/secrets/update/action',
  listPropertiesOfSecrets: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  listPropertiesOfSecretVersions: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  getDeletedSecret: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  beginDeleteSecret: 'Microsoft.KeyVault/vaults/secrets/delete',
  purgeDeletedSecret: 'Microsoft.KeyVault/vaults/secrets/purge/action',
  backupSecret: 'Microsoft.KeyVault/vaults/secrets/backup/action',
  restoreSecretBackup: 'Microsoft.KeyVault/vaults/secrets/restore/action',
  beginRecoverDeletedSecret: 'Microsoft.KeyVault/vaults/secrets/recover/action',
};

/** Every `this.client.<method>(` call of the one adapter over SecretClient. */
function adapterCalls(): string[] {
  const source = readFileSync(join(REPO_ROOT, 'src/vault/keyvault-secret-store.ts'), 'utf8');
  return [...new Set([...source.matchAll(/this\.client\.(\w+)\(/g)].map((m) => m[1] as string))].sort();
}

describe('least privilege in Key Vault', () => {
  it('every SecretClient method the adapter calls has a known data action', () => {
    const calls = adapterCalls();
    expect(calls.length).toBeGreaterThanOrEqual(4);
    const unknown = calls.filter((call) => DATA_ACTION_OF[call] === undefined);
    expect(unknown).toEqual([]);
  });

  it("the daemon's custom role grants exactly the data actions of those calls, and no control-plane action", async () => {
    const wanted = [...new Set(adapterCalls().map((c) => DATA_ACTION_OF[c]))].sort();
    const json = JSON.parse(
      readFileSync(join(REPO_ROOT, 'bicep/modules/rotator-data-actions.json'), 'utf8'),
    ) as {
      dataActions: string[];
    };
    expect([...json.dataActions].sort()).toEqual(wanted);
    const files = await loadBicepFiles();
    const role = files
      .flatMap((f) => f.declarations)
      .find((d) => d.kind === 'resource' && d.type?.startsWith('Microsoft.Authorization/roleDefinitions@'));
    expect(role).toBeDefined();
    const props = (role?.body as BicepObject)['properties'];
    if (!isObject(props)) throw new Error('role definition without properties');
    const permissions = props['permissions'] as BicepObject[];
    expect(permissions).toHaveLength(1);
    expect(bicepText(permissions[0]?.['dataActions'])).toBe('rotatorDataActions');
    expect(permissions[0]?.['actions']).toEqual([]);
    const text = files.find((f) => f.path === 'bicep/modules/key-vault-role-assignment.bicep')?.text ?? '';
    expect(text).toContain("loadJsonContent('rotator-data-actions.json').dataActions");
  });

  it('URL-encodes the Redis key it puts into REDIS_URL', async () => {
    const files = await loadBicepFiles();
    const app = files.find((f) => f.path === 'bicep/modules/container-app.bicep')?.text ?? '';
    expect(app).toContain("'rediss://:${uriComponent(redisDatabase.listKeys().primaryKey)}@${redisAddress}'");
    expect(app).not.toMatch(/rediss:\/\/:\$\{redisDatabase/);
  });
});
