// The daemon's one grant: a custom role with exactly the data actions it calls (get, set, update
// properties, list metadata), on this vault alone. Not Key Vault Secrets Officer: that role also
// deletes, backs up, restores, recovers and purges secrets, which the daemon never does.
@description('Name of the existing Key Vault.')
param keyVaultName string

@description('Principal (object) id of the daemon identity.')
param principalId string

var rotatorDataActions = loadJsonContent('rotator-data-actions.json').dataActions
var roleName = 'Rotator Key Vault secret rotation (${resourceGroup().name})'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource rotatorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'rotator-key-vault-secret-rotation')
  properties: {
    roleName: roleName
    description: 'Get, set, update the properties of and list Key Vault secrets: what the rotator daemon calls, nothing more.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: rotatorDataActions
        notDataActions: []
      }
    ]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, rotatorRole.id)
  scope: vault
  properties: {
    roleDefinitionId: rotatorRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'rotator daemon: rotate the secrets of this vault'
  }
}

@description('Resource id of the role assignment.')
output resourceId string = assignment.id

@description('Resource id of the custom role definition.')
output roleDefinitionId string = rotatorRole.id
