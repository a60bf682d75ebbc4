// Redis reachable only through a private endpoint: the app runs in a VNet-integrated Container Apps
// environment (infrastructure subnet) of the same virtual network, which the private DNS zone links.
//   az deployment group create -g rg-rotator -f bicep/main.bicep -p bicep/main.private.bicepparam
using 'main.bicep'

param baseName = 'rotator'
param image = 'myregistry.azurecr.io/rotator:0.1.0'
param registryServer = 'myregistry.azurecr.io'
param redisPublicNetworkAccess = 'Disabled'
param infrastructureSubnetId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-rotator/subnets/snet-apps'
param privateEndpointSubnetId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-rotator/subnets/snet-endpoints'
param virtualNetworkId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-rotator'
param alertEmailAddresses = [
  'sre@example.com'
]
param tags = {
  service: 'rotator'
}
