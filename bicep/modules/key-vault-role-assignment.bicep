// The daemon's one grant: Key Vault Secrets Officer on this vault alone (read, write, tag, list versions).
@description('Name of the existing Key Vault.')
param keyVaultName string

@description('Principal (object) id of the daemon identity.')
param principalId string

// Key Vault Secrets Officer. Not Key Vault Administrator, Contributor or Owner: the daemon never
// manages the vault, its access policy or keys, only secrets.
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'rotator daemon: rotate the secrets of this vault'
  }
}

@description('Resource id of the role assignment.')
output resourceId string = secretsOfficer.id
