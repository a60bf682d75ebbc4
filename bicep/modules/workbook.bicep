// The SRE workbook: a raw Microsoft.Insights/workbooks resource over the Application Insights data.
@description('Display name of the workbook.')
param displayName string = 'Rotator: credential rotations'

@description('Azure region.')
param location string

@description('Resource id of the Application Insights component the queries run against.')
param appInsightsResourceId string

@description('Tags applied to the resource.')
param tags object = {}

// The workbook content lives in rotator-workbook.json, so its KQL can be read and tested as data.
var content = union(loadJsonContent('rotator-workbook.json'), {
  fallbackResourceIds: [
    appInsightsResourceId
  ]
})

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsightsResourceId, 'rotator-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsResourceId
    serializedData: string(content)
    version: 'Notebook/1.0'
  }
}

@description('Resource id of the workbook.')
output resourceId string = workbook.id
