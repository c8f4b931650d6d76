import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { DeployTime } from '../../scripts/infra/armExpression.js';
import { appNeeds } from '../../scripts/infra/appNeeds.js';
import { BicepUnavailable } from '../../scripts/infra/bicepCli.js';
import { compiledTemplate } from '../../scripts/infra/compileInfra.js';
import { resolveTemplate, type ArmResource, type ArmTemplate } from '../../scripts/infra/resolveTemplate.js';
import { at, findApp, type TemplateApp } from '../../scripts/infra/templateApp.js';
import { builtInRoles, templateChecks, type TemplateCheck } from '../../scripts/infra/templateChecks.js';

// The ARM JSON `bicep build` makes of infra/main.bicep (npm run infra:check, which npm test
// runs first, writes it; compiledTemplate() compiles it again when infra/ is newer). Where
// the Bicep CLI cannot be had (no dotnet) these tests are skipped, except with CI=true.
const ci = process.env.CI === 'true';
const loaded = await compiledTemplate().catch((err: unknown) => {
  if (err instanceof BicepUnavailable && !ci) return err;
  throw err;
});
if (loaded instanceof BicepUnavailable) console.warn(`infra tests skipped: ${loaded.message}; to get it: ${loaded.hint}`);
const template = loaded instanceof BicepUnavailable ? undefined : loaded;
const needs = appNeeds();
const read = (path: string) => readFileSync(join(appRoot, path), 'utf8');

const image = 'crexample.azurecr.io/r-scoring-service/api:azd-deploy-1';
/** As azd provisions once the app is deployed: its image known, the deploying user given the publisher role. */
const provisioned = { environmentName: 'dev', imageName: image, principalId: '11111111-2222-3333-4444-555555555555' };

const resolve = (t: ArmTemplate, params: Record<string, unknown> = provisioned) => resolveTemplate(t, params);
const app = (t: ArmTemplate, params?: Record<string, unknown>): TemplateApp => {
  const found = findApp(resolve(t, params));
  if (typeof found === 'string') throw new Error(found);
  return found;
};

/** A changed copy of the compiled template. */
function changed(edit: (copy: ArmTemplate, raw: (type: string) => ArmResource) => void): ArmTemplate {
  const copy = structuredClone(template as ArmTemplate);
  const list = copy.resources as ArmResource[];
  edit(copy, (type) => {
    const found = list.find((r) => r.type === type);
    if (!found) throw new Error(`no ${type}`);
    return found;
  });
  return copy;
}
/** The same, editing the text of the app's settings expression (env). */
const withEnv = (edit: (env: string) => string) =>
  changed((_, raw) => {
    const container = (at(raw('Microsoft.App/containerApps'), 'properties.template.containers') as { env: string }[])[0] as { env: string };
    const before = container.env;
    container.env = edit(before);
    if (container.env === before) throw new Error('the edit changed nothing');
  });
const setting = (name: string, value: string) => `createObject('name', '${name}', 'value', ${value})`;

describe.skipIf(!template)('the compiled template (infra/main.bicep) against the code', () => {
  const t = template as ArmTemplate;

  it.each(Object.entries(templateChecks))('%s holds', (_name, check: TemplateCheck) => {
    expect(check(resolve(t), needs)).toEqual([]);
  });

  it('holds with a preloaded model, and with the parameters left to their defaults', () => {
    for (const check of Object.values(templateChecks)) {
      expect(check(resolve(t, { ...provisioned, defaultModel: 'boston-rf' }), needs)).toEqual([]);
      if (check !== templateChecks.checkHealthProbes) expect(check(resolve(t, { environmentName: 'dev' }), needs)).toEqual([]);
    }
  });

  it('finds every setting the code reads, and reads the settings the app is given', () => {
    expect(needs.settings.length).toBeGreaterThan(40);
    expect(needs.settings).toEqual(expect.arrayContaining(['MAX_ROWS', 'SHOW_R_ERRORS', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'PREDICTION_LOG']));
    const settings = Object.fromEntries(app(t).settings.map((s) => [s.name, s.value]));
    expect(settings).toMatchObject({ MODELS_CONTAINER: 'models', BATCHES_CONTAINER: 'batches', AzureWebJobsStorage__credential: 'managedidentity', TRUST_CLIENT_PRINCIPAL: 'false' });
    expect(settings.AzureWebJobsStorage__clientId).toBeInstanceOf(DeployTime);
    // Empty settings are left out: the code reads empty as unset.
    expect(settings).not.toHaveProperty('DEFAULT_MODEL');
    expect(app(t, { ...provisioned, defaultModel: 'iris' }).settings).toEqual(expect.arrayContaining([{ name: 'DEFAULT_MODEL', value: 'iris' }, { name: 'PRELOAD_MODELS', value: 'iris' }]));
  });

  it('runs the base image, without probes, until azd has deployed the app; then the deployed image, with them', () => {
    const first = app(t, { environmentName: 'dev' }).container;
    expect(first.image).toBe('mcr.microsoft.com/azure-functions/node:4-node22');
    expect(first.probes).toEqual([]);
    const deployed = app(t).container;
    expect(deployed.image).toBe(image);
    expect((deployed.probes as { type: string; httpGet: { path: string } }[]).map((p) => [p.type, p.httpGet.path])).toEqual([
      ['Startup', '/api/health/live'],
      ['Liveness', '/api/health/live'],
      ['Readiness', '/api/health/ready'],
    ]);
    // Provisioning again keeps the image the app runs (azd's SERVICE_API_RESOURCE_EXISTS): only Azure knows it.
    expect(app(t, { environmentName: 'dev', apiExists: true }).container.image).toBeInstanceOf(DeployTime);
  });

  it('gives the deploying user Blob Data Contributor only when azd names one', () => {
    const assignments = (params: Record<string, unknown>) => resolve(t, params).resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && r.deployed === true);
    const roleOf = (r: { value: unknown }) => String(at(r.value, 'properties.roleDefinitionId')).split('/').pop();
    expect(assignments({ environmentName: 'dev' }).map(roleOf)).not.toContain(builtInRoles.storageBlobDataContributor);
    const user = assignments(provisioned).filter((r) => at(r.value, 'properties.principalId') === provisioned.principalId);
    expect(user.map(roleOf)).toEqual([builtInRoles.storageBlobDataContributor]);
  });

  // Each check can fail: on a copy of the template with one thing wrong, it says what.
  it.each<[string, () => ArmTemplate, TemplateCheck, RegExp]>([
    ['storage that accepts shared keys', () => changed((_, raw) => void ((at(raw('Microsoft.Storage/storageAccounts'), 'properties') as Record<string, unknown>).allowSharedKeyAccess = true)), templateChecks.checkStorageByIdentity, /allowSharedKeyAccess is true/],
    ['storage over plain HTTP', () => changed((_, raw) => void ((at(raw('Microsoft.Storage/storageAccounts'), 'properties') as Record<string, unknown>).supportsHttpsTrafficOnly = false)), templateChecks.checkStorageByIdentity, /plain HTTP/],
    ['no queue role for the app', () => changed((c) => void ((c.variables?.roles as Record<string, string>).storageQueueDataContributor = builtInRoles.acrPull)), templateChecks.checkStorageByIdentity, /lacks its queue role/],
    ['an app that starts before its storage roles', () => changed((_, raw) => void (raw('Microsoft.App/containerApps').dependsOn = (raw('Microsoft.App/containerApps').dependsOn as string[]).filter((d) => d !== 'storageRoles'))), templateChecks.checkStorageByIdentity, /does not wait for its role assignment storageRoles/],
    ['a storage connection string', () => withEnv((e) => e.replace(setting('FUNCTIONS_WORKER_RUNTIME', "'node'"), `${setting('FUNCTIONS_WORKER_RUNTIME', "'node'")}, ${setting('AzureWebJobsStorage', "'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=y'")}`)), templateChecks.checkStorageByIdentity, /AzureWebJobsStorage is a connection string/],
    ['a broader role', () => changed((c) => void ((c.variables?.roles as Record<string, string>).storageTableDataContributor = 'b24988ac-6180-42a0-ab88-20f7382dd24c')), templateChecks.checkLeastRoles, /role b24988ac-6180-42a0-ab88-20f7382dd24c is none/],
    ['a setting the code reads left out', () => withEnv((e) => e.replace(`${setting('MAX_ROWS', "'10000'")}, `, '')), templateChecks.checkAppSettings, /^MAX_ROWS: the app reads it/],
    ['a setting with a typo', () => withEnv((e) => e.replace("'MAX_ROWS'", "'MAX_ROW'")), templateChecks.checkAppSettings, /MAX_ROW: set on the app, but neither/],
    ['a setting the app refuses', () => withEnv((e) => e.replace(setting('MAX_ROWS', "'10000'"), setting('MAX_ROWS', "'lots'"))), templateChecks.checkAppSettings, /refuses its settings: MAX_ROWS must be a whole number/],
    ['a key in a setting', () => withEnv((e) => e.replace(setting('MAX_ROWS', "'10000'"), `${setting('MAX_ROWS', "'10000'")}, ${setting('HOST_KEY', "parameters('functionsHostKey')")}`)), templateChecks.checkAppSettings, /HOST_KEY: a secret in an app setting/],
    ['a key in a setting, for the secrets check', () => withEnv((e) => e.replace(setting('MAX_ROWS', "'10000'"), `${setting('MAX_ROWS', "'10000'")}, ${setting('HOST_KEY', "parameters('functionsHostKey')")}`)), templateChecks.checkSecrets, /a secret at properties\.template\.containers\.0\.env\.\d+\.value/],
    ['a secret in an output', () => changed((c) => void ((c.outputs as Record<string, unknown>).LEAK = { type: 'string', value: "[parameters('functionsMasterKey')]" })), templateChecks.checkSecrets, /output LEAK gives out a secret/],
    ['an account key', () => changed((c) => void ((c.outputs as Record<string, unknown>).KEYS = { type: 'string', value: "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st1'), '2023-05-01').keys[0].value]" })), templateChecks.checkSecrets, /output KEYS gives out a secret/],
    ['a secure parameter with a default', () => changed((c) => void ((c.parameters?.functionsMasterKey as Record<string, unknown>).defaultValue = 'changeme')), templateChecks.checkSecrets, /functionsMasterKey has a default value/],
    ['a missing poison queue', () => changed((c) => void (c.variables = { ...c.variables, queues: (c.variables?.queues as string[]).filter((q) => q !== 'batch-jobs-poison') })), templateChecks.checkContainersAndQueues, /queue batch-jobs-poison is not made/],
    ['a missing container', () => changed((c) => void (c.variables = { ...c.variables, containers: (c.variables?.containers as string[]).filter((q) => q !== 'monitoring') })), templateChecks.checkContainersAndQueues, /blob container monitoring is not made/],
    ['a container under another name than the app uses', () => withEnv((e) => e.replace(setting('BATCHES_CONTAINER', "'batches'"), setting('BATCHES_CONTAINER', "'batch-data'"))), templateChecks.checkContainersAndQueues, /blob container batch-data is not made/],
    ['a lifecycle rule on more than batches', () => changed((_, raw) => void ((at(raw('Microsoft.Storage/storageAccounts/managementPolicies'), 'properties.policy.rules') as { definition: { filters: { prefixMatch: string[] } } }[])[0]!.definition.filters.prefixMatch = ['batch'])), templateChecks.checkBatchRetention, /deletes blobs outside batches\//],
    ['plain HTTP ingress', () => changed((_, raw) => void ((at(raw('Microsoft.App/containerApps'), 'properties.configuration.ingress') as Record<string, unknown>).allowInsecure = true)), templateChecks.checkHttpsIngress, /allowInsecure is true/],
    ['ingress on another port', () => changed((c) => void (c.variables = { ...c.variables, hostPort: 8080 })), templateChecks.checkHttpsIngress, /targets port 8080/],
    ['no readiness probe', () => changed((c) => void (c.variables = { ...c.variables, probes: (c.variables?.probes as { type: string }[]).filter((p) => p.type !== 'Readiness') })), templateChecks.checkHealthProbes, /no readiness probe/],
    ['a liveness probe on another route', () => changed((c) => void ((c.variables?.probes as { type: string; httpGet: { path: string } }[]).find((p) => p.type === 'Liveness')!.httpGet.path = '/')), templateChecks.checkHealthProbes, /liveness probe asks "\/"/],
    ['a startup probe shorter than the worker initialisation', () => changed((c) => void ((c.variables?.probes as { type: string; failureThreshold: number }[]).find((p) => p.type === 'Startup')!.failureThreshold = 3)), templateChecks.checkHealthProbes, /gives up after 50 s/],
    ['a probe setting Container Apps refuses', () => changed((c) => void ((c.variables?.probes as { type: string; failureThreshold: number }[]).find((p) => p.type === 'Startup')!.failureThreshold = 20)), templateChecks.checkHealthProbes, /Startup probe's failureThreshold 20 is outside Container Apps' 1\.\.10/],
    ['no replica kept warm', () => changed((c) => void ((c.parameters?.minInstances as Record<string, unknown>).defaultValue = 0)), templateChecks.checkReplicas, /minReplicas is 0/],
    ['an unbounded replica parameter', () => changed((c) => void delete (c.parameters?.maxInstances as Record<string, unknown>).maxValue), templateChecks.checkReplicas, /maxInstances is not bounded/],
    ['a host key in the wrong file', () => changed((_, raw) => void ((at(raw('Microsoft.App/containerApps'), 'properties.template.volumes') as { secrets: { path: string }[] }[])[0]!.secrets[0]!.path = 'master')), templateChecks.checkFunctionKeys, /no key file host\.master/],
    ['a key azd does not generate', () => changed((c) => void delete (c.parameters?.functionsHostKey?.metadata as Record<string, unknown>).azd), templateChecks.checkFunctionKeys, /host\.function\.default \(parameter functionsHostKey\) is not generated by azd/],
    ['a registry admin password', () => changed((_, raw) => void ((at(raw('Microsoft.ContainerRegistry/registries'), 'properties') as Record<string, unknown>).adminUserEnabled = true)), templateChecks.checkHosting, /admin user/],
    ['telemetry without Entra ID', () => changed((_, raw) => void ((at(raw('Microsoft.Insights/components'), 'properties') as Record<string, unknown>).DisableLocalAuth = false)), templateChecks.checkHosting, /DisableLocalAuth is not true/],
    ['an app azd cannot find', () => changed((_, raw) => void (raw('Microsoft.App/containerApps').tags = "[variables('tags')]")), templateChecks.checkHosting, /azd-service-name: api/],
  ])('reports %s', (_what, make, check, problem) => {
    const problems = check(resolve(make()), needs);
    expect(problems.some((p) => problem.test(p)), problems.join('\n') || '(no problem reported)').toBe(true);
  });
});

describe.skipIf(!template)('azure.yaml and the parameters azd passes', () => {
  const t = template as ArmTemplate;
  const azure = read('azure.yaml');
  const parameters = JSON.parse(read('infra/main.parameters.json')).parameters as Record<string, { value: string }>;

  it('deploys the top-level Dockerfile to the container app with this infra', () => {
    expect(azure).toMatch(/^ {2}path: infra$/m);
    expect(azure).toMatch(/^ {6}path: \.\/Dockerfile$/m);
    expect(azure).toMatch(/^ {2}api:$/m);
    // The containerapp target deploys to Microsoft.App/containerApps only (Azure/azure-dev
    // cli/azd/pkg/project/service_target_containerapp.go).
    expect(azure).toMatch(/^ {4}host: containerapp$/m);
    // azd reads and updates the app with the API version the template declares it with.
    expect(azure).toContain(`apiVersion: '${app(t).resource.apiVersion}'`);
    expect(app(t).resource.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}-preview$/);
    // azd pushes the image to the registry this output names.
    expect(t.outputs?.AZURE_CONTAINER_REGISTRY_ENDPOINT?.value).toMatch(/^\[reference\(resourceId\('Microsoft\.ContainerRegistry\/registries', .*\)\.loginServer\]$/);
  });

  it('passes only parameters the template declares, the deployed image and the deploying principal among them', () => {
    for (const name of Object.keys(parameters)) expect(t.parameters).toHaveProperty(name);
    expect(parameters.imageName?.value).toBe('${SERVICE_API_IMAGE_NAME=}');
    expect(parameters.apiExists?.value).toBe('${SERVICE_API_RESOURCE_EXISTS=false}');
    expect(parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
    expect(parameters.principalType?.value).toBe('${AZURE_PRINCIPAL_TYPE}');
    // The keys are left to azd to generate: a value here would replace them.
    expect(parameters).not.toHaveProperty('functionsMasterKey');
    expect(parameters).not.toHaveProperty('functionsHostKey');
    // Every parameter without a default is one azd passes, or one it generates (the keys).
    const required = Object.entries(t.parameters ?? {}).filter(([, p]) => !('defaultValue' in p)).map(([name]) => name);
    expect(required.filter((name) => !(name in parameters) && !at(t.parameters?.[name], 'metadata.azd'))).toEqual([]);
  });
});
