// Workspace-based Application Insights: where the daemon's spans, metrics and audit events land.
@description('Name of the Application Insights component.')
param name string

@description('Azure region.')
param location string

@description('Resource id of the Log Analytics workspace that stores the telemetry.')
param workspaceResourceId string

@description('Tags applied to the resource.')
param tags object = {}

resource component 'Microsoft.Insights/components@2020-02-02' = {
  name: name
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceResourceId
    IngestionMode: 'LogAnalytics'
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

@description('Resource id of the component (scope of the workbook and the alert rules).')
output resourceId string = component.id

@description('Name of the component.')
output name string = component.name
