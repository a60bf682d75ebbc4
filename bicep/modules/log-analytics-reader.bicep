// The reads backstop's one grant: Log Analytics Reader on the workspace holding the vaults' AuditEvent
// log, and nothing broader (not the resource group, not the subscription), so the daemon can query
// AZKVAuditLogs and can change nothing.
@description('Name of the existing Log Analytics workspace.')
param workspaceName string

@description('Principal (object) id of the daemon identity.')
param principalId string

// Log Analytics Reader: read and query data and settings; no write of any kind.
var logAnalyticsReaderRoleId = '73c42c96-874c-492b-b04d-ab87d138a893'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource logReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, logAnalyticsReaderRoleId)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'rotator daemon: read Key Vault AuditEvent rows (reads outside the rotator are uses)'
  }
}

@description('Resource id of the role assignment.')
output resourceId string = logReader.id
