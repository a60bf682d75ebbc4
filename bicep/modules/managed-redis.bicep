// Azure Managed Redis (Microsoft.Cache/redisEnterprise) for BullMQ: NoEviction, NoCluster, TLS only.
// Azure Cache for Redis (Basic/Standard/Premium) can no longer be created (since 2026-10-01).
@description('Name of the Azure Managed Redis cluster.')
param name string

@description('Azure region.')
param location string

@description('SKU, e.g. Balanced_B0 (smallest), Balanced_B1, MemoryOptimized_M10.')
param skuName string = 'Balanced_B1'

@description('Public network access; Disabled needs the private endpoint of main.bicep (redisNetwork private).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Tags applied to the resources.')
param tags object = {}

@description('Entra object ids of operators who may use Redis with their own identity (redis-cli with a token) instead of the access key.')
param operatorObjectIds array = []

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: 'Enabled'
    publicNetworkAccess: publicNetworkAccess
  }
}

// BullMQ's keys of one queue must live on one shard and must never be evicted.
resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'NoCluster'
    evictionPolicy: 'NoEviction'
    // Still Enabled: the daemon's ioredis/BullMQ connection and KEDA's Redis scaler authenticate
    // with the access key (URL-encoded with uriComponent() in container-app.bicep, read with
    // listKeys() there and never an output). Operators get Entra access (accessPolicyAssignments
    // below) instead of the key, so the key lives in the daemon's secrets alone. Disabling keys
    // needs a token-refreshing Redis connection in the daemon and a KEDA scaler that speaks Entra.
    accessKeysAuthentication: 'Enabled'
    persistence: {
      aofEnabled: true
      aofFrequency: '1s'
    }
  }
}

// Operators authenticate with Entra (default access policy), never with the daemon's key.
resource operatorAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = [
  for objectId in operatorObjectIds: {
    parent: database
    name: take(replace(objectId, '-', ''), 60)
    properties: {
      accessPolicyName: 'default'
      user: {
        objectId: objectId
      }
    }
  }
]

@description('Resource id of the cluster.')
output resourceId string = cluster.id

@description('Name of the cluster.')
output name string = cluster.name

@description('Host name; the database listens with TLS on port 10000.')
output hostName string = cluster.properties.hostName

@description('TLS port of the database.')
output port int = database.properties.port
