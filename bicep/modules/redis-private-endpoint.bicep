// Private endpoint and DNS for Azure Managed Redis, used when its public network access is off.
@description('Resource id of the Azure Managed Redis cluster.')
param redisResourceId string

@description('Name prefix of the private endpoint resources.')
param name string

@description('Azure region.')
param location string

@description('Resource id of the subnet that holds the private endpoint.')
param subnetId string

@description('Resource id of the virtual network to link to the private DNS zone.')
param virtualNetworkId string

@description('Tags applied to the resources.')
param tags object = {}

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: 'privatelink.redis.azure.net'
  location: 'global'
  tags: tags
}

resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: zone
  name: '${name}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: virtualNetworkId
    }
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: '${name}-pe'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: '${name}-redis'
        properties: {
          privateLinkServiceId: redisResourceId
          groupIds: [
            'redisEnterprise'
          ]
        }
      }
    ]
  }
}

resource dnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'redis'
        properties: {
          privateDnsZoneId: zone.id
        }
      }
    ]
  }
}

@description('Resource id of the private endpoint.')
output resourceId string = endpoint.id
