import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_JOBS_QUEUE, BATCH_QUEUE, readConfig } from '../../functions/config.js';
import { appRoot } from '../../functions/paths.js';

const read = (path: string) => readFileSync(join(appRoot, path), 'utf8');
const bicep = read('infra/main.bicep');
const settingsInBicep = new Set([...bicep.matchAll(/\{ name: '([^']+)', value:/g)].map((m) => m[1] as string));

/** Every environment variable functions/ reads, found in its source. */
function settingsTheCodeReads(): string[] {
  const source = ['functions/config.ts', 'functions/telemetry.ts'].map(read).join('\n');
  const keys = [...source.matchAll(/(?:text|int|bool|list|env|share|shares)\(\s*'([A-Za-z_]+)'/g)].map((m) => m[1] as string);
  return [...new Set(keys)];
}

/** The text of a top-level resource declaration, from `resource <name>` to its closing brace (or `}]` of a loop). */
function resource(name: string): string {
  const start = bicep.search(new RegExp(`^resource ${name} `, 'm'));
  expect(start, `resource ${name}`).toBeGreaterThanOrEqual(0);
  const end = /\n\}\]?\n/.exec(bicep.slice(start));
  return bicep.slice(start, start + (end?.index ?? 0) + (end?.[0].length ?? 0));
}

/** A `param` declaration with the decorators above it. */
function param(name: string): string {
  const lines = bicep.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^param ${name} `).test(l));
  expect(at, `param ${name}`).toBeGreaterThanOrEqual(0);
  let first = at;
  while (first > 0 && (lines[first - 1] as string).startsWith('@')) first--;
  return lines.slice(first, at + 1).join('\n');
}

// Built-in role definition IDs (learn.microsoft.com, Azure built-in roles: Storage, Containers, Monitor).
const builtInRoles: Record<string, string> = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
};

describe('infra/main.bicep against the code', () => {
  it('sets every app setting the code reads', () => {
    const keys = settingsTheCodeReads();
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !settingsInBicep.has(k))).toEqual([]);
  });

  it('connects to storage by identity, as the code understands it', () => {
    for (const key of ['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__clientId', 'AzureWebJobsStorage__credential']) expect(settingsInBicep).toContain(key);
    const config = readConfig({ AzureWebJobsStorage__accountName: 'st1', AzureWebJobsStorage__clientId: 'c' });
    expect(config.hostStorage).toMatchObject({ kind: 'identity', blobServiceUri: 'https://st1.blob.core.windows.net', clientId: 'c' });
  });

  it('creates the containers and queues the code uses, by the same names', () => {
    const defaults = readConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    const containers = /var containers = \[([^\]]+)\]/.exec(bicep)?.[1];
    const queues = /var queues = \[([^\]]+)\]/.exec(bicep)?.[1];
    for (const name of [defaults.modelsContainer, defaults.batchInputsContainer, defaults.batchesContainer, defaults.monitoringContainer, defaults.predictionLogContainer]) expect(containers).toContain(`'${name}'`);
    for (const queue of [BATCH_QUEUE, BATCH_JOBS_QUEUE]) {
      expect(queues).toContain(`'${queue}'`);
      expect(queues).toContain(`'${queue}-poison'`);
    }
    for (const [key, value] of [['MODELS_CONTAINER', defaults.modelsContainer], ['BATCH_INPUTS_CONTAINER', defaults.batchInputsContainer], ['BATCHES_CONTAINER', defaults.batchesContainer]]) {
      expect(bicep).toContain(`{ name: '${key}', value: '${value}' }`);
    }
  });

  it('keeps secrets out: no shared keys, no account keys, no connection strings with keys', () => {
    expect(bicep).toContain('allowSharedKeyAccess: false');
    expect(bicep).not.toMatch(/listKeys\(|AccountKey=|SharedAccessKey/);
    expect(bicep).toContain('adminUserEnabled: false');
    expect(bicep).toContain('DisableLocalAuth: true');
    expect(settingsInBicep).toContain('APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
    // The only secure parameters are the two Functions access keys.
    expect([...bicep.matchAll(/^@secure\(\)\n(?:@.*\n)*param (\w+)/gm)].map((m) => m[1])).toEqual(['functionsMasterKey', 'functionsHostKey']);
  });

  it('expires batches (and nothing else) after the retention period', () => {
    const rule = /prefixMatch: \[([^\]]+)\]/.exec(bicep)?.[1];
    expect(rule).toBe(`'${readConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).batchesContainer}/'`);
    expect(bicep).toContain('daysAfterModificationGreaterThan: batchRetentionDays');
    expect(bicep).toMatch(/param batchRetentionDays int = \d+/);
  });

  // Functions on Container Apps "V2": one Microsoft.App/containerApps resource of kind
  // functionapp, the model Learn recommends for new deployments (container-apps/migrate-functions).
  it('runs the app as a native Functions app on Container Apps, with ingress on and the image pulled by identity', () => {
    expect(bicep).not.toContain('Microsoft.Web/sites');
    const app = resource('app');
    expect(app).toMatch(/^resource app 'Microsoft\.App\/containerApps@\d{4}-\d{2}-\d{2}-preview' = \{$/m);
    expect(app).toContain("kind: 'functionapp'");
    expect(app).toContain("tags: union(tags, { 'azd-service-name': 'api' })");
    expect(app).toMatch(/userAssignedIdentities: \{ '\$\{identity\.id\}': \{\} \}/);
    // Event-driven scaling needs ingress (container-apps/functions-overview); the host listens on 80.
    expect(app).toMatch(/ingress: \{\s+external: true\s+targetPort: hostPort/);
    expect(bicep).toContain('var hostPort = 80');
    expect(app).toContain('registries: [{ server: registry.properties.loginServer, identity: identity.id }]');
    expect(app).toContain('scale: { minReplicas: minInstances, maxReplicas: maxInstances }');
    expect(app).toContain('resources: { cpu: json(cpu), memory: memory }');
    expect(app).toContain('env: filter(appSettings, s => !empty(s.value))');
    // The image azd deployed survives a re-provision; before the first deploy, the base image.
    // Provisioning again keeps the deployed image (azd's SERVICE_API_RESOURCE_EXISTS), else the base image.
    expect(app).toContain('image: !empty(imageName) ? imageName : (!empty(deployedImage.outputs.image) ? deployedImage.outputs.image : baseImage)');
    expect(read('infra/modules/fetch-container-image.bicep')).toContain("existing = if (exists)");
    expect(bicep).toMatch(/^var baseImage = 'mcr\.microsoft\.com\/azure-functions\/node:4-node22'$/m);
    expect(app).toMatch(/dependsOn: \[[^\]]*storageRoles[^\]]*acrPull/);
  });

  // On Container Apps the host reads its keys from files under /run/secrets/functions-keys
  // (Azure/azure-functions-host ContainerAppsSecretsRepository) and never creates them
  // (container-apps/functions-secrets-host-keys): without these, no function-level route opens.
  it('provisions the master key and a default host key where the host reads them', () => {
    const app = resource('app');
    expect(app).toContain("{ name: 'host-master', value: functionsMasterKey }");
    expect(app).toContain("{ name: 'host-function-default', value: functionsHostKey }");
    expect(app).toContain("volumeMounts: [{ volumeName: 'functions-keys', mountPath: '/run/secrets/functions-keys' }]");
    expect(app).toMatch(/name: 'functions-keys'\s+storageType: 'Secret'/);
    expect(app).toContain("{ secretRef: 'host-master', path: 'host.master' }");
    expect(app).toContain("{ secretRef: 'host-function-default', path: 'host.function.default' }");
    for (const key of ['functionsMasterKey', 'functionsHostKey']) {
      // azd generates a parameter so marked once and keeps it (cli/azd/pkg/infra/provisioning/bicep).
      expect(param(key)).toContain("@metadata({ azd: { type: 'generate', config: { length: 48, noSpecial: true } } })");
      expect(param(key)).toMatch(new RegExp(`^param ${key} string$`, 'm'));
    }
    expect(settingsInBicep).not.toContain('AzureWebJobsSecretStorageType');
  });

  it('gives the app the least roles, and the deploying user only Blob Data Contributor', () => {
    const roles = Object.fromEntries([...bicep.matchAll(/^\s+(\w+): '([0-9a-f-]{36})'$/gm)].map((m) => [m[1], m[2]]));
    expect(roles).toEqual(builtInRoles);
    expect(bicep).not.toMatch(/b24988ac-6180-42a0-ab88-20f7382dd24c|8e3af657-a8ff-443c-a75c-2fe8c4bcb635/);
    expect(resource('storageRoles')).toContain('[for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]:');
    expect(resource('acrPull')).toContain('scope: registry');
    expect(resource('metricsPublisher')).toContain('scope: insights');
    const publisher = resource('publisherRole');
    expect(publisher).toContain('= if (!empty(principalId)) {');
    expect(publisher).toContain('scope: storage');
    expect(publisher).toContain("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)");
    expect(bicep.match(/roles\.storageBlobDataContributor/g)).toHaveLength(2);
    expect(param('principalId')).toContain("param principalId string = ''");
  });
});

describe('azure.yaml and the parameters azd passes', () => {
  const azure = read('azure.yaml');
  const parameters = JSON.parse(read('infra/main.parameters.json')).parameters as Record<string, { value: string }>;

  it('deploys the top-level Dockerfile to the container app with this infra', () => {
    expect(azure).toMatch(/^ {2}path: infra$/m);
    expect(azure).toMatch(/^ {6}path: \.\/Dockerfile$/m);
    expect(azure).toMatch(/^ {2}api:$/m);
    // The containerapp target deploys to Microsoft.App/containerApps only (Azure/azure-dev
    // cli/azd/pkg/project/service_target_containerapp.go).
    expect(azure).toMatch(/^ {4}host: containerapp$/m);
    // azd reads and updates the app with the API version the Bicep declares it with.
    const bicepVersion = /^resource app 'Microsoft\.App\/containerApps@([^']+)'/m.exec(bicep)?.[1];
    expect(azure).toContain(`apiVersion: '${bicepVersion}'`);
    // azd pushes the image to the registry this output names.
    expect(bicep).toMatch(/^output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry\.properties\.loginServer$/m);
  });

  it('passes only parameters the Bicep declares, the deployed image and the deploying principal among them', () => {
    for (const name of Object.keys(parameters)) expect(bicep).toMatch(new RegExp(`^param ${name} `, 'm'));
    expect(parameters.imageName?.value).toBe('${SERVICE_API_IMAGE_NAME=}');
    expect(parameters.apiExists?.value).toBe('${SERVICE_API_RESOURCE_EXISTS=false}');
    expect(parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
    expect(parameters.principalType?.value).toBe('${AZURE_PRINCIPAL_TYPE}');
    // The keys are left to azd to generate: a value here would replace them.
    expect(parameters).not.toHaveProperty('functionsMasterKey');
    expect(parameters).not.toHaveProperty('functionsHostKey');
  });
});
