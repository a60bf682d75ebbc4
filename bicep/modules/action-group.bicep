// E-mail action group for the rotator's alert rules.
@description('Name of the action group.')
param name string

@description('Short name shown in notifications (at most 12 characters).')
@maxLength(12)
param shortName string = 'rotator'

@description('E-mail addresses notified when a rotator alert fires.')
param emailAddresses array

@description('Tags applied to the resource.')
param tags object = {}

resource group 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: name
  location: 'global'
  tags: tags
  properties: {
    groupShortName: shortName
    enabled: true
    emailReceivers: [
      for (address, i) in emailAddresses: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

@description('Resource id of the action group.')
output resourceId string = group.id
