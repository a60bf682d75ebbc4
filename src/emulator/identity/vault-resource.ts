/** The fake Azure coordinates of an emulated vault, as they appear in 403 messages and audit rows. */
export const EMULATOR_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const EMULATOR_RESOURCE_GROUP = 'rotator-emulator';

export interface VaultResource {
  /** e.g. `emulator-8443`: the port tells emulated vaults apart, as names do on Azure. */
  name: string;
  /** `/subscriptions/…/resourcegroups/…/providers/microsoft.keyvault/vaults/<name>`, lower-case like the service's. */
  resourceId: string;
}

export function vaultResource(port: number): VaultResource {
  const name = `emulator-${port}`;
  return {
    name,
    resourceId: `/subscriptions/${EMULATOR_SUBSCRIPTION}/resourcegroups/${EMULATOR_RESOURCE_GROUP}/providers/microsoft.keyvault/vaults/${name}`,
  };
}
