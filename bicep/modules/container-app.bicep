// The rotator daemon as a Container App: user-assigned identity, the contract's environment, health
// probes on port 8080, never fewer than one replica, scaled out on the length of the rotation queue.
@description('Name of the Container App.')
param name string

@description('Azure region.')
param location string

@description('Resource id of the Container Apps environment.')
param environmentResourceId string

@description('Container image, e.g. myregistry.azurecr.io/rotator:1.2.3 (built from the Dockerfile).')
param image string

@description('Registry server to pull from with the daemon identity (grant it AcrPull yourself); empty: public image.')
param registryServer string = ''

@description('Resource id of the daemon user-assigned managed identity.')
param identityResourceId string

@description('Client id of the daemon identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
param identityClientId string

@description('Key Vault URLs the daemon manages, comma-separated (ROTATOR_VAULT_URL).')
param vaultUrls string

@description('Name of the Azure Managed Redis cluster (same resource group); its database is "default".')
param redisName string

@description('Name of the Application Insights component (same resource group).')
param appInsightsName string

@description('BullMQ key prefix (ROTATOR_QUEUE_PREFIX).')
param queuePrefix string = 'bull'

@description('ISO-8601 duration between scheduled rotations (ROTATOR_ROTATION_INTERVAL).')
param rotationInterval string = 'P13D'

@description('ISO-8601 delay of the forced rotation after a checkout, at most PT8H (ROTATOR_USAGE_GRACE).')
param usageGrace string = 'PT30M'

@description('Minutes between sweeps of the vaults (ROTATOR_SWEEP_INTERVAL).')
@minValue(1)
param sweepIntervalMinutes int = 5

@description('Rotations one replica runs at once (ROTATOR_WORKER_CONCURRENCY).')
@minValue(1)
@maxValue(256)
param workerConcurrency int = 4

@description('Log level (ROTATOR_LOG_LEVEL).')
@allowed([
  'fatal'
  'error'
  'warn'
  'info'
  'debug'
  'trace'
])
param logLevel string = 'info'

@description('Fewest replicas: at least 1, because delayed BullMQ jobs only move while a worker runs.')
@minValue(1)
param minReplicas int = 1

@description('Most replicas.')
@minValue(1)
@maxValue(30)
param maxReplicas int = 3

@description('Waiting rotations per replica before another replica is added.')
@minValue(1)
param queueLengthPerReplica int = 50

@description('Audience of the access API (ROTATOR_API_AUDIENCE); empty: the API is off and there is no ingress.')
param apiAudience string = ''

@description('Token issuer (ROTATOR_API_ISSUER); empty: the daemon derives it from AZURE_TENANT_ID.')
param apiIssuer string = ''

@description('Expose the access API beyond the environment; internal by default.')
param apiExternal bool = false

@description('ROTATOR_APPROVAL_TIMEOUT.')
param approvalTimeout string = 'PT1H'

@description('ROTATOR_ACCESS_MAX (at most PT8H).')
param accessMax string = 'PT8H'

@description('Log Analytics workspace id holding the vaults\' AuditEvent log (ROTATOR_AUDIT_WORKSPACE_ID); empty: backstop off.')
param auditWorkspaceId string = ''

@description('How often the daemon reads new AuditEvent rows (ROTATOR_AUDIT_POLL).')
param auditPoll string = 'PT1M'

@description('Tags applied to the resource.')
param tags object = {}

// The access API listens on this port in HTTP; the ingress terminates TLS in front of it.
var apiPort = 8081
var apiEnabled = !empty(apiAudience)

resource redis 'Microsoft.Cache/redisEnterprise@2025-07-01' existing = {
  name: redisName
}

resource redisDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' existing = {
  parent: redis
  name: 'default'
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Where the exporter keeps telemetry ingestion has not accepted yet (a volume of its own).
var telemetryStorageDir = '/var/lib/rotator/telemetry'

var redisAddress = '${redis.properties.hostName}:10000'

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    environmentId: environmentResourceId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      // The access API on the ingress (internal unless apiExternal): HTTPS outside, HTTP to the container.
      // Without it, the daemon serves nothing but its health port, which the probes reach directly.
      ingress: apiEnabled
        ? {
            external: apiExternal
            targetPort: apiPort
            transport: 'http'
            allowInsecure: false
          }
        : null
      secrets: [
        {
          name: 'redis-url'
          // uriComponent(): a key holding '/', '+', '=' or '@' would otherwise move the URL's host.
          value: 'rediss://:${uriComponent(redisDatabase.listKeys().primaryKey)}@${redisAddress}'
        }
        {
          name: 'redis-password'
          value: redisDatabase.listKeys().primaryKey
        }
        {
          name: 'appinsights-connection-string'
          value: appInsights.properties.ConnectionString
        }
      ]
      registries: empty(registryServer)
        ? []
        : [
            {
              server: registryServer
              identity: identityResourceId
            }
          ]
    }
    template: {
      terminationGracePeriodSeconds: 60
      containers: [
        {
          name: 'rotator'
          image: image
          args: [
            'daemon'
          ]
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: [
            // An empty value is unset for the daemon: without an audience the API stays off.
            {
              name: 'ROTATOR_API_PORT'
              value: apiEnabled ? string(apiPort) : ''
            }
            {
              name: 'ROTATOR_API_AUDIENCE'
              value: apiAudience
            }
            {
              name: 'ROTATOR_API_ISSUER'
              value: apiIssuer
            }
            {
              name: 'ROTATOR_APPROVAL_TIMEOUT'
              value: approvalTimeout
            }
            {
              name: 'ROTATOR_ACCESS_MAX'
              value: accessMax
            }
            {
              name: 'ROTATOR_VAULT_URL'
              value: vaultUrls
            }
            {
              name: 'ROTATOR_TELEMETRY_STORAGE_DIR'
              value: telemetryStorageDir
            }
            {
              name: 'REDIS_URL'
              secretRef: 'redis-url'
            }
            {
              name: 'ROTATOR_QUEUE_PREFIX'
              value: queuePrefix
            }
            {
              name: 'ROTATOR_ROTATION_INTERVAL'
              value: rotationInterval
            }
            {
              name: 'ROTATOR_USAGE_GRACE'
              value: usageGrace
            }
            {
              name: 'ROTATOR_SWEEP_INTERVAL'
              value: 'PT${sweepIntervalMinutes}M'
            }
            {
              name: 'ROTATOR_WORKER_CONCURRENCY'
              value: string(workerConcurrency)
            }
            {
              name: 'ROTATOR_HEALTH_PORT'
              value: '8080'
            }
            {
              name: 'ROTATOR_LOG_LEVEL'
              value: logLevel
            }
            {
              name: 'ROTATOR_SHUTDOWN_TIMEOUT'
              value: 'PT30S'
            }
            {
              name: 'ROTATOR_AUDIT_WORKSPACE_ID'
              value: auditWorkspaceId
            }
            {
              name: 'ROTATOR_AUDIT_POLL'
              value: auditPoll
            }
            {
              name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
              secretRef: 'appinsights-connection-string'
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'AZURE_TENANT_ID'
              value: tenant().tenantId
            }
          ]
          probes: [
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: 8080
                scheme: 'HTTP'
              }
              initialDelaySeconds: 10
              periodSeconds: 15
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: 8080
                scheme: 'HTTP'
              }
              initialDelaySeconds: 5
              periodSeconds: 15
              timeoutSeconds: 5
              failureThreshold: 3
            }
          ]
          volumeMounts: [
            {
              volumeName: 'tmp'
              mountPath: '/tmp'
            }
            {
              // Telemetry Azure Monitor has not accepted yet (ingestion outage), resent when it answers.
              volumeName: 'telemetry'
              mountPath: telemetryStorageDir
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'tmp'
          storageType: 'EmptyDir'
        }
        {
          name: 'telemetry'
          storageType: 'EmptyDir'
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: max(minReplicas, maxReplicas)
        rules: [
          {
            // KEDA's Redis list scaler on BullMQ's waiting list of the rotation queue.
            name: 'rotation-queue-length'
            custom: {
              type: 'redis'
              metadata: {
                address: redisAddress
                listName: '${queuePrefix}:rotations:wait'
                listLength: string(queueLengthPerReplica)
                enableTLS: 'true'
                databaseIndex: '0'
              }
              auth: [
                {
                  secretRef: 'redis-password'
                  triggerParameter: 'password'
                }
              ]
            }
          }
        ]
      }
    }
  }
}

@description('Resource id of the Container App.')
output resourceId string = app.id

@description('Name of the Container App.')
output name string = app.name

@description('URL of the access API (internal FQDN unless apiExternal); empty when the API is off.')
output apiUrl string = apiEnabled ? 'https://${app.properties.configuration.ingress.fqdn}' : ''
