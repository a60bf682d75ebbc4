// rotator: the daemon that rotates service-account credentials kept in Azure Key Vault.
// Deploys Log Analytics, Application Insights, Key Vault, Azure Managed Redis, a Container Apps
// environment and the daemon, its identity and single role assignment, the SRE workbook and alerts.
targetScope = 'resourceGroup'

@description('Short name used to derive resource names (letters and digits, 3-11 characters).')
@minLength(3)
@maxLength(11)
param baseName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Container image of the daemon, built from the repository Dockerfile.')
param image string

@description('Registry server pulled with the daemon identity (grant it AcrPull on the registry); empty for a public image.')
param registryServer string = ''

@description('Extra Key Vault URLs the daemon manages besides the vault deployed here (grant Key Vault Secrets Officer on each yourself).')
param additionalVaultUrls array = []

@description('ISO-8601 duration between scheduled rotations.')
param rotationInterval string = 'P13D'

@description('ISO-8601 delay of the forced rotation after a checkout (at most PT8H).')
param usageGrace string = 'PT30M'

@description('Minutes between sweeps of the vaults.')
@minValue(1)
@maxValue(720)
param sweepIntervalMinutes int = 5

@description('BullMQ key prefix; the scale rule watches <prefix>:rotations:wait.')
param queuePrefix string = 'bull'

@description('Fewest daemon replicas; never zero.')
@minValue(1)
param minReplicas int = 1

@description('Most daemon replicas.')
@minValue(1)
@maxValue(30)
param maxReplicas int = 3

@description('Azure Managed Redis SKU.')
param redisSkuName string = 'Balanced_B1'

@description('Entra object ids of operators given Entra access to Redis, so that only the daemon holds its access key.')
param redisOperatorObjectIds array = []

@description('How the daemon reaches Azure Managed Redis. Enabled (the default): over the public endpoint, TLS 1.2+ and the access key only. Disabled: through a private endpoint; needs infrastructureSubnetId, privateEndpointSubnetId and virtualNetworkId (see main.private.bicepparam).')
@allowed([
  'Enabled'
  'Disabled'
])
param redisPublicNetworkAccess string = 'Enabled'

@description('Public network access of the Key Vault.')
@allowed([
  'Enabled'
  'Disabled'
])
param keyVaultPublicNetworkAccess string = 'Enabled'

@description('Container Apps infrastructure subnet (required when Redis public access is Disabled, optional otherwise).')
param infrastructureSubnetId string = ''

@description('Subnet for the Redis private endpoint (required when Redis public access is Disabled, refused otherwise).')
param privateEndpointSubnetId string = ''

@description('Virtual network linked to the Redis private DNS zone (required when Redis public access is Disabled, refused otherwise).')
param virtualNetworkId string = ''

@description('E-mail addresses notified by the alert rules; empty: no action group is created.')
param alertEmailAddresses array = []

@description('Existing action groups notified by the alert rules.')
param actionGroupResourceIds array = []

@description('How often the daemon reads the vaults\' AuditEvent rows for reads outside the rotator (ROTATOR_AUDIT_POLL).')
param auditPoll string = 'PT1M'

@description('Resource ids of further vaults (same resource group or not) that get an Event Grid system topic too.')
param eventVaultResourceIds array = []

@description('Service Bus queue resource id that receives SecretNewVersionCreated of every vault; empty: none.')
param secretEventsServiceBusQueueResourceId string = ''

@description('HTTPS webhook (Entra-protected) that receives SecretNewVersionCreated of every vault; empty: none.')
param secretEventsWebhookUrl string = ''

@description('Entra application id or URI Event Grid authenticates to the webhook with; empty: none.')
param secretEventsWebhookAudience string = ''

@description('Tags applied to every resource.')
param tags object = {}

@description('Audience of the access API (the rotator app registration\'s Application ID URI or client id, ROTATOR_API_AUDIENCE); empty: no access API, checkouts only from the queue.')
param apiAudience string = ''

@description('Token issuer (ROTATOR_API_ISSUER); empty: https://login.microsoftonline.com/<this tenant>/v2.0.')
param apiIssuer string = ''

@description('Expose the access API outside the Container Apps environment. Internal by default: reach it over the VNet.')
param apiExternal bool = false

@description('A request nobody decided expires after this (ROTATOR_APPROVAL_TIMEOUT).')
param approvalTimeout string = 'PT1H'

@description('The longest access window a request may ask for, at most PT8H (ROTATOR_ACCESS_MAX).')
param accessMax string = 'PT8H'

@description('App roles of the rotator app registration (its manifest\'s appRoles); the daemon checks these values in the token\'s roles claim.')
param apiAppRoles array = [
  {
    value: 'Rotator.Checkout'
    displayName: 'Rotator checkout'
    description: 'Request access to managed secrets and check them out (each checkout forces a rotation).'
    allowedMemberTypes: [
      'User'
      'Application'
    ]
    id: '3f1c7a52-6a4e-4c1e-9d53-0b8f1f6f1a01'
    isEnabled: true
  }
  {
    value: 'Rotator.Approve'
    displayName: 'Rotator approver'
    description: 'Approve or deny other people\'s access requests (never one\'s own).'
    allowedMemberTypes: [
      'User'
    ]
    id: '3f1c7a52-6a4e-4c1e-9d53-0b8f1f6f1a02'
    isEnabled: true
  }
]


var suffix = uniqueString(resourceGroup().id, baseName)
var names = {
  identity: 'id-${baseName}'
  workspace: 'log-${baseName}-${suffix}'
  appInsights: 'appi-${baseName}-${suffix}'
  keyVault: take('kv-${baseName}-${suffix}', 24)
  redis: 'amr-${baseName}-${suffix}'
  environment: 'cae-${baseName}'
  app: 'ca-${baseName}'
}

module identity 'modules/identity.bicep' = {
  name: 'rotator-identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module logAnalytics 'modules/log-analytics.bicep' = {
  name: 'rotator-log-analytics'
  params: {
    name: names.workspace
    location: location
    retentionInDays: 365
    tags: tags
  }
}

module appInsights 'modules/app-insights.bicep' = {
  name: 'rotator-app-insights'
  params: {
    name: names.appInsights
    location: location
    workspaceResourceId: logAnalytics.outputs.resourceId
    tags: tags
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'rotator-key-vault'
  params: {
    name: names.keyVault
    location: location
    workspaceResourceId: logAnalytics.outputs.resourceId
    publicNetworkAccess: keyVaultPublicNetworkAccess
    tags: tags
  }
}

module secretsOfficer 'modules/key-vault-role-assignment.bicep' = {
  name: 'rotator-key-vault-secret-rotation-role'
  params: {
    keyVaultName: keyVault.outputs.name
    principalId: identity.outputs.principalId
  }
}

// The Redis network mode, or a deployment that stops with a message saying what to fix (Bicep's fail()):
// a private Redis needs the private endpoint's subnet, the VNet for its DNS zone and an infrastructure
// subnet in that VNet for the app to reach it; a public one takes no private endpoint parameters.
var redisNetwork = redisPublicNetworkAccess == 'Disabled'
  ? (!empty(infrastructureSubnetId) && !empty(privateEndpointSubnetId) && !empty(virtualNetworkId)
      ? 'private'
      : fail('redisPublicNetworkAccess Disabled needs infrastructureSubnetId, privateEndpointSubnetId and virtualNetworkId (the app reaches a private Redis only from a VNet): set all three (see bicep/main.private.bicepparam) or leave redisPublicNetworkAccess Enabled.'))
  : (empty(privateEndpointSubnetId) && empty(virtualNetworkId)
      ? 'public'
      : fail('privateEndpointSubnetId and virtualNetworkId are only used with redisPublicNetworkAccess Disabled: set redisPublicNetworkAccess to Disabled for a private Redis, or remove them.'))

module logReader 'modules/log-analytics-reader.bicep' = {
  name: 'rotator-log-analytics-reader'
  params: {
    workspaceName: logAnalytics.outputs.name
    principalId: identity.outputs.principalId
  }
}

module redis 'modules/managed-redis.bicep' = {
  name: 'rotator-managed-redis'
  params: {
    name: names.redis
    location: location
    skuName: redisSkuName
    publicNetworkAccess: redisNetwork == 'private' ? 'Disabled' : 'Enabled'
    operatorObjectIds: redisOperatorObjectIds
    tags: tags
  }
}

module redisPrivateEndpoint 'modules/redis-private-endpoint.bicep' = if (redisNetwork == 'private') {
  name: 'rotator-redis-private-endpoint'
  params: {
    name: names.redis
    location: location
    redisResourceId: redis.outputs.resourceId
    subnetId: privateEndpointSubnetId
    virtualNetworkId: virtualNetworkId
    tags: tags
  }
}

module environment 'modules/container-apps-environment.bicep' = {
  name: 'rotator-container-apps-environment'
  params: {
    name: names.environment
    location: location
    workspaceName: logAnalytics.outputs.name
    infrastructureSubnetId: infrastructureSubnetId
    tags: tags
  }
}

module daemon 'modules/container-app.bicep' = {
  name: 'rotator-daemon'
  dependsOn: [
    secretsOfficer
    logReader
    redisPrivateEndpoint
  ]
  params: {
    name: names.app
    location: location
    environmentResourceId: environment.outputs.resourceId
    image: image
    registryServer: registryServer
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    vaultUrls: join(concat([keyVault.outputs.uri], additionalVaultUrls), ',')
    redisName: redis.outputs.name
    appInsightsName: appInsights.outputs.name
    queuePrefix: queuePrefix
    rotationInterval: rotationInterval
    usageGrace: usageGrace
    sweepIntervalMinutes: sweepIntervalMinutes
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    apiAudience: apiAudience
    apiIssuer: apiIssuer
    apiExternal: apiExternal
    approvalTimeout: approvalTimeout
    accessMax: accessMax
    auditWorkspaceId: logAnalytics.outputs.customerId
    auditPoll: auditPoll
    tags: tags
  }
}

// Consumers reload on SecretNewVersionCreated instead of polling (README, "Overlap and retirement").
module vaultEvents 'modules/key-vault-events.bicep' = [
  for vaultId in concat([keyVault.outputs.resourceId], eventVaultResourceIds): {
    name: 'rotator-events-${uniqueString(vaultId)}'
    params: {
      vaultResourceId: vaultId
      location: location
      serviceBusQueueResourceId: secretEventsServiceBusQueueResourceId
      webhookUrl: secretEventsWebhookUrl
      webhookEntraAudience: secretEventsWebhookAudience
      tags: tags
    }
  }
]

module workbook 'modules/workbook.bicep' = {
  name: 'rotator-workbook'
  params: {
    location: location
    appInsightsResourceId: appInsights.outputs.resourceId
    tags: tags
  }
}

module actionGroup 'modules/action-group.bicep' = if (!empty(alertEmailAddresses)) {
  name: 'rotator-action-group'
  params: {
    name: 'ag-${baseName}'
    emailAddresses: alertEmailAddresses
    tags: tags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'rotator-alerts'
  params: {
    namePrefix: 'alert-${baseName}'
    location: location
    appInsightsResourceId: appInsights.outputs.resourceId
    sweepIntervalMinutes: sweepIntervalMinutes
    actionGroupResourceIds: concat(
      actionGroupResourceIds,
      empty(alertEmailAddresses) ? [] : [actionGroup.outputs.resourceId]
    )
    tags: tags
  }
}

@description('The vault URL to store managed secrets in (ROTATOR_VAULT_URL).')
output keyVaultUri string = keyVault.outputs.uri

@description('Name of the Key Vault.')
output keyVaultName string = keyVault.outputs.name

@description('Client id of the daemon identity: grant it Microsoft Graph permissions for Entra targets.')
output daemonIdentityClientId string = identity.outputs.clientId

@description('Principal id of the daemon identity: grant it Key Vault Secrets Officer on additional vaults.')
output daemonIdentityPrincipalId string = identity.outputs.principalId

@description('Name of the Container App running the daemon.')
output containerAppName string = daemon.outputs.name

@description('Resource id of the Application Insights component.')
output appInsightsResourceId string = appInsights.outputs.resourceId

@description('Resource id of the SRE workbook.')
output workbookResourceId string = workbook.outputs.resourceId

@description('Access API URL inside the environment (or public with apiExternal); empty when apiAudience is empty. Set ROTATOR_API_URL to it.')
output accessApiUrl string = daemon.outputs.apiUrl

@description('The appRoles to set on the rotator app registration (az ad app update --id <app> --app-roles @roles.json).')
output apiAppRolesManifest array = apiAppRoles
