// Container Apps environment sending console logs to the Log Analytics workspace.
@description('Name of the Container Apps environment.')
param name string

@description('Azure region.')
param location string

@description('Name of the Log Analytics workspace (same resource group).')
param workspaceName string

@description('Resource id of an infrastructure subnet (/23 or larger, or /27 for workload profiles); empty: no VNet.')
param infrastructureSubnetId string = ''

@description('Tags applied to the resource.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    vnetConfiguration: empty(infrastructureSubnetId)
      ? null
      : {
          infrastructureSubnetId: infrastructureSubnetId
          internal: true
        }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    zoneRedundant: false
  }
}

@description('Resource id of the environment.')
output resourceId string = environment.id
