// Consumers told, not polled: an Event Grid system topic on one vault, and (when an endpoint is given)
// a subscription delivering SecretNewVersionCreated to a Service Bus queue or a webhook, so a consumer
// reloads the secret when the rotator commits a new version instead of waiting for a cache to expire.
@description('Resource id of the Key Vault whose events are published.')
param vaultResourceId string

@description('Azure region of the vault.')
param location string

@description('Service Bus queue resource id that receives SecretNewVersionCreated; empty: none.')
param serviceBusQueueResourceId string = ''

@description('HTTPS webhook that receives SecretNewVersionCreated (protect it with Entra auth, never a key in the URL); empty: none.')
param webhookUrl string = ''

@description('Entra application id or URI Event Grid gets a token for when it calls the webhook; empty: none.')
param webhookEntraAudience string = ''

@description('Tags applied to the resources.')
param tags object = {}

var vaultName = last(split(vaultResourceId, '/'))

var filter = {
  includedEventTypes: [
    'Microsoft.KeyVault.SecretNewVersionCreated'
  ]
  // The rotator's own write-ahead records are not consumer secrets.
  advancedFilters: [
    {
      operatorType: 'StringNotBeginsWith'
      key: 'subject'
      values: [
        'rotator-pending-'
      ]
    }
  ]
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'egt-${vaultName}'
  location: location
  tags: tags
  properties: {
    source: vaultResourceId
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource toQueue 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (!empty(serviceBusQueueResourceId)) {
  parent: topic
  name: 'secret-new-version-to-queue'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: filter
    destination: {
      endpointType: 'ServiceBusQueue'
      properties: {
        resourceId: serviceBusQueueResourceId
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

resource toWebhook 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (!empty(webhookUrl)) {
  parent: topic
  name: 'secret-new-version-to-webhook'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: filter
    destination: {
      endpointType: 'WebHook'
      properties: union(
        {
          endpointUrl: webhookUrl
        },
        empty(webhookEntraAudience) ? {} : { azureActiveDirectoryApplicationIdOrUri: webhookEntraAudience }
      )
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

@description('Resource id of the system topic.')
output topicResourceId string = topic.id
