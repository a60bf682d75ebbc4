// Log search alert rules on the Application Insights data (classic table names: requests,
// dependencies, customMetrics). Each rule's query is the contract's telemetry names; every query is
// parsed with Microsoft's Kusto parser in test/unit/kql-queries.test.ts.
@description('Name prefix of the alert rules.')
param namePrefix string

@description('Azure region.')
param location string

@description('Resource id of the Application Insights component the rules query.')
param appInsightsResourceId string

@description('Minutes between sweeps (ROTATOR_SWEEP_INTERVAL); the sweep alert fires after two without a sweep.')
@minValue(1)
@maxValue(720)
param sweepIntervalMinutes int = 5

@description('Minutes without a heartbeat (the daemon exports its gauges every minute) before the daemon is reported down.')
@minValue(5)
@maxValue(60)
param heartbeatMinutes int = 10

@description('Minutes a secret may stay retrying (transient failures, attempts left) before it pages.')
@minValue(15)
@maxValue(1440)
param retryingAlertMinutes int = 60

@description('Action group resource ids notified by every rule; empty: the rules fire without notifying.')
param actionGroupResourceIds array = []

@description('Tags applied to the resources.')
param tags object = {}

var actions = {
  actionGroups: actionGroupResourceIds
}

var rotationSpans = 'union requests, dependencies | where name == \'rotation\' | extend outcome = tostring(customDimensions[\'rotator.outcome\']), secret = tostring(customDimensions[\'rotator.secret\'])'

var sweepWindowMinutes = 2 * sweepIntervalMinutes

resource failedRotation 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-rotation-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: a rotation is quarantined or failed permanently'
    description: 'A rotation span ended with rotator.outcome quarantined (attempts exhausted) or failed (a permanent error such as a misconfigured secret). A transient failure that will be retried (retrying) does not fire this rule. See the workbook\'s failures table; rotator jobs --failed; rotator retry.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: '${rotationSpans} | where outcome in (\'failed\', \'quarantined\') | summarize failures = count() by secret'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failures'
          dimensions: [
            {
              name: 'secret'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// A target that accepted a random wrong credential: its verdicts prove nothing, so every rotation of
// the secret stops before any change until the target checks passwords again.
resource targetCannotVerify 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-target-cannot-verify'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: a target accepts any credential (TARGET_CANNOT_VERIFY)'
    description: 'A target accepted a random wrong credential, so no verification against it could fail; the rotation stopped before any change. Make the target check passwords (e.g. no trust lines in pg_hba.conf), then rotator retry.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: '${rotationSpans} | extend code = tostring(customDimensions[\'rotator.error_code\']) | where code == \'TARGET_CANNOT_VERIFY\' | summarize refusals = count() by secret'
          timeAggregation: 'Total'
          metricMeasureColumn: 'refusals'
          dimensions: [
            {
              name: 'secret'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// A secret whose last outcome is retrying, and that has not settled (rotated, satisfied, recovered,
// failed, quarantined) since its first retry more than retryingAlertMinutes ago.
resource stuckRetrying 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-rotation-retrying'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: a secret keeps retrying'
    description: 'A rotation has been retrying (transient failures) for more than ${retryingAlertMinutes} minutes without settling. Single retries do not fire this rule. rotator status; the workbook\'s failures table shows the error code.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'P1D'
    criteria: {
      allOf: [
        {
          query: 'let spans = ${rotationSpans} | where outcome != \'postponed\'; spans | summarize arg_max(timestamp, outcome), settledAt = maxif(timestamp, outcome != \'retrying\') by secret | where outcome == \'retrying\' | join kind=inner (spans | where outcome == \'retrying\' | project secret, retryAt = timestamp) on secret | where isnull(settledAt) or retryAt > settledAt | summarize retryingSince = min(retryAt) by secret | where retryingSince < ago(${retryingAlertMinutes}m) | summarize stuck = count() by secret'
          timeAggregation: 'Total'
          metricMeasureColumn: 'stuck'
          dimensions: [
            {
              name: 'secret'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource overdueSecret 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-secret-overdue'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: a secret is overdue'
    description: 'The latest rotator.secrets.overdue is above zero: a managed secret is past its rotation interval. Every replica exports the last sweep\'s figure from Redis, so the latest point is the fleet\'s. rotator status shows which.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          // The latest point, not the window's maximum: a sweep that finds none overdue clears the alert.
          query: 'customMetrics | where name == \'rotator.secrets.overdue\' | summarize arg_max(timestamp, valueMax) | project overdue = valueMax'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'overdue'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource sweepMissing 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-sweep-missing'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: no sweep for two sweep intervals'
    description: 'No schedule.sweep span in ${sweepWindowMinutes} minutes: the scheduler is stuck or no daemon is running.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: sweepWindowMinutes <= 60 ? 'PT1H' : 'P1D'
    criteria: {
      allOf: [
        {
          // summarize count() always yields one row, so "no spans at all" evaluates to 0, not to no data.
          query: 'union requests, dependencies | where timestamp > ago(${sweepWindowMinutes}m) | where name == \'schedule.sweep\' | summarize sweeps = count()'
          timeAggregation: 'Total'
          metricMeasureColumn: 'sweeps'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

resource daemonDown 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-daemon-down'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: daemon down (no heartbeat)'
    description: 'No rotator.heartbeat, exported every minute by each running replica (dimension rotator.replica), for ${heartbeatMinutes} minutes.'
    severity: 0
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where timestamp > ago(${heartbeatMinutes}m) | where name == \'rotator.heartbeat\' | summarize heartbeats = count()'
          timeAggregation: 'Total'
          metricMeasureColumn: 'heartbeats'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

@description('Resource ids of the alert rules.')
output ruleResourceIds array = [
  failedRotation.id
  stuckRetrying.id
  overdueSecret.id
  sweepMissing.id
  daemonDown.id
]

// The reads backstop: a managed secret read outside the rotator (its audit record has outcome
// 'unbrokered'). The forced rotation follows on its own; this tells a person who read it.
resource unbrokeredRead 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-read-outside-rotator'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: a secret was read outside the rotator'
    description: 'Key Vault\'s AuditEvent log shows a read of a managed secret by an identity that is neither the rotator nor in the secret\'s rotation-readers tag. A forced rotation follows after the usage grace; check who it was (customEvents RotatorAudit, action read).'
    severity: 2
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customEvents | where name == \'RotatorAudit\' | extend outcome = tostring(customDimensions[\'outcome\']), secret = tostring(customDimensions[\'secret\']), actor = tostring(customDimensions[\'actor\']) | where outcome == \'unbrokered\' | summarize reads = count() by secret, actor'
          timeAggregation: 'Total'
          metricMeasureColumn: 'reads'
          dimensions: [
            {
              name: 'secret'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'actor'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// A retired credential not shown refused (rotator.retirement unproven): it may still work. The next
// sweep retries the retirement; the alert clears once a later check proves it.
resource unprovenRetirement 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-retirement-unproven'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Rotator: a retired credential was not proven refused'
    description: 'A rotation or retirement ended with rotator.retirement unproven: the old credential may still work. See rotator status (RETIREMENT, ERROR) and the workbook; the next sweep retries it.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsResourceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'union requests, dependencies | where name in (\'rotation\', \'rotation.retirement\') | extend retirement = tostring(customDimensions[\'rotator.retirement\']), secret = tostring(customDimensions[\'rotator.secret\']) | where retirement == \'unproven\' | summarize unproven = count() by secret'
          timeAggregation: 'Total'
          metricMeasureColumn: 'unproven'
          dimensions: [
            {
              name: 'secret'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}
