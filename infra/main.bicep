// The R scoring service on Azure: the Function App (the top-level Dockerfile's image) on
// Azure Container Apps, its storage (models, batch inputs, batches, the batch queue),
// Application Insights, a container registry, and one user-assigned identity with the
// least roles it needs. No shared keys and no secrets in app settings: the storage
// account refuses key access, and every connection is identity-based.
targetScope = 'resourceGroup'

@description('Name prefix for every resource (azd passes the environment name).')
param environmentName string
param location string = resourceGroup().location
@description('The app image, as pushed to the registry (azd sets it on deploy).')
param imageName string = ''
@description('The model POST /api/score uses (empty: the only model published).')
param defaultModel string = ''
@description('R processes per model version in each instance (empty: one per core).')
param rWorkers string = ''
@description('vCPUs and memory of each instance.')
param cpu string = '2.0'
param memory string = '4Gi'
param minInstances int = 1
param maxInstances int = 10
@description('Days a batch (its rows, results and state) is kept before Blob Storage deletes it.')
param batchRetentionDays int = 14

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }
var containers = ['models', 'batch-inputs', 'batches']
var queues = ['batch-chunks', 'batch-chunks-poison']
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  acrPull: '7f951dca-4b5a-4ab0-8b3a-0f2f9f0b4f2f'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${token}'
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${token}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in containers: {
  parent: blobService
  name: c
  properties: { publicAccess: 'None' }
}]

// Batches expire: results are for fetching, and a batch whose submit never finished (the
// client got no 202) leaves nothing behind for long.
resource batchRetention 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-batches'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['batches/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: batchRetentionDays } } }
          }
        }
      ]
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for q in queues: {
  parent: queueService
  name: q
}]

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${token}'
  location: location
  tags: tags
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'cr${token}'
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: { adminUserEnabled: false }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${token}'
  location: location
  tags: tags
  properties: {
    // Logs go through Azure Monitor (diagnostic settings below), not a workspace key.
    appLogsConfiguration: { destination: 'azure-monitor' }
    workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }]
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs'
  scope: environment
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

// The identity's roles: the Functions host and the app read and write blobs (the host
// needs Blob Data Owner for its own leases), send, read and delete queue messages, use
// tables for the host's bookkeeping, pull the image, and publish telemetry.
resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]: {
  name: guid(storage.id, identity.id, role)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, roles.acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// Every setting the app reads (functions/config.ts), with the defaults the code has.
var appSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
  { name: 'OTEL_TRACES_SAMPLER', value: 'microsoft.rate_limited' }
  { name: 'OTEL_TRACES_SAMPLER_ARG', value: '5' }
  { name: 'MODELS_CONTAINER', value: 'models' }
  { name: 'BATCH_INPUTS_CONTAINER', value: 'batch-inputs' }
  { name: 'BATCHES_CONTAINER', value: 'batches' }
  { name: 'DEFAULT_MODEL', value: defaultModel }
  { name: 'PRELOAD_MODELS', value: defaultModel }
  { name: 'R_SCRIPT', value: 'Rscript' }
  { name: 'R_TRANSPORT', value: 'pipe' }
  { name: 'R_WORKERS', value: rWorkers }
  { name: 'R_READY_TIMEOUT_MS', value: '120000' }
  { name: 'SCORE_TIMEOUT_MS', value: '30000' }
  { name: 'SCORE_QUEUE_LIMIT', value: '128' }
  { name: 'MICRO_BATCH_MAX_ROWS', value: '1000' }
  { name: 'MICRO_BATCH_MAX_WAIT_MS', value: '1' }
  { name: 'MICRO_BATCH_OFF', value: '' }
  { name: 'MAX_BODY_BYTES', value: '4194304' }
  { name: 'MAX_ROWS', value: '10000' }
  { name: 'MODEL_CACHE_DIR', value: '/tmp/r-scoring/models' }
  { name: 'MODEL_REFRESH_MS', value: '2000' }
  { name: 'MODEL_IDLE_MS', value: '600000' }
  { name: 'BATCH_CHUNK_ROWS', value: '10000' }
  { name: 'BATCH_MAX_CHUNK_ROWS', value: '50000' }
  { name: 'BATCH_MAX_ROWS', value: '50000000' }
  { name: 'BATCH_MAX_JSON_BYTES', value: '67108864' }
]

// Azure Functions on Container Apps runs the custom image; the platform scales it with
// KEDA rules made from the triggers: HTTP concurrency for the scoring routes and the
// length of the batch-chunks queue for scoreChunk.
resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-${token}'
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux,container,azurecontainerapps'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    managedEnvironmentId: environment.id
    workloadProfileName: 'Consumption'
    resourceConfig: { cpu: json(cpu), memory: memory }
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: empty(imageName) ? 'DOCKER|mcr.microsoft.com/azure-functions/node:4-node20' : 'DOCKER|${registry.properties.loginServer}/${imageName}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identity.properties.clientId
      minimumElasticInstanceCount: minInstances
      functionAppScaleLimit: maxInstances
      cors: { allowedOrigins: [] }
      appSettings: appSettings
    }
  }
  dependsOn: [storageRoles, acrPull, blobContainers, storageQueues]
}

output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.properties.loginServer
output AZURE_FUNCTION_APP_NAME string = app.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.name
output SERVICE_API_ENDPOINT string = 'https://${app.properties.defaultHostName}/api'
