// Redis over its public endpoint (TLS 1.2+, access key), no virtual network: the defaults.
//   az deployment group create -g rg-rotator -f bicep/main.bicep -p bicep/main.public.bicepparam
using 'main.bicep'

param baseName = 'rotator'
param image = 'myregistry.azurecr.io/rotator:0.1.0'
param registryServer = 'myregistry.azurecr.io'
param redisPublicNetworkAccess = 'Enabled'
param alertEmailAddresses = [
  'sre@example.com'
]
param tags = {
  service: 'rotator'
}
