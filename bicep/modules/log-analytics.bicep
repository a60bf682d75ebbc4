// Log Analytics workspace: Key Vault audit events, Container Apps logs and the Application Insights data.
@description('Name of the Log Analytics workspace.')
param name string

@description('Azure region.')
param location string

@description('Days of retention; credential audit trails are kept for a year.')
@minValue(365)
@maxValue(730)
param retentionInDays int = 365

@description('Tags applied to the resource.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

@description('Resource id of the workspace.')
output resourceId string = workspace.id

@description('Name of the workspace.')
output name string = workspace.name

@description('Workspace (customer) id: what the Log Analytics query API addresses (ROTATOR_AUDIT_WORKSPACE_ID).')
output customerId string = workspace.properties.customerId
