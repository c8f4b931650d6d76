import type { Config } from '../../functions/config.js';
import { DeployTime, Secret } from './armExpression.js';
import type { AppNeeds } from './appNeeds.js';
import type { ResolvedTemplate } from './resolveTemplate.js';
import { at, findApp, resourcesOf, secretsIn, type TemplateApp } from './templateApp.js';

/**
 * What the app needs of the compiled template (infra/main.bicep as `bicep build` writes
 * it), each as a pure function of the resolved template returning its problems (none: it
 * holds). Tests run them on the real template and on changed copies of it.
 */
export type TemplateCheck = (t: ResolvedTemplate, needs: AppNeeds) => string[];

/** Built-in role definition IDs (learn.microsoft.com, Azure built-in roles: Storage, Containers, Monitor). */
export const builtInRoles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

/**
 * The roles the app's identity needs on its storage account: the host takes blob leases
 * (Blob Data Owner, which also signs the app's user delegation SAS), sends, reads and
 * deletes queue messages, and keeps its bookkeeping in tables.
 */
const storageRoles = { blob: builtInRoles.storageBlobDataOwner, queue: builtInRoles.storageQueueDataContributor, table: builtInRoles.storageTableDataContributor };

/** A setting's value as readConfig sees it; a value only Azure knows stands in as a placeholder. */
const DEPLOY_TIME = 'set-at-deployment';

const describe = (v: unknown): string => (v instanceof DeployTime || v instanceof Secret ? `[${v.expression}]` : JSON.stringify(v));

/** The app, its settings as readConfig gets them, and the config it makes of them (or the problems). */
function appAndConfig(t: ResolvedTemplate, needs: AppNeeds): { app: TemplateApp; env: Record<string, string>; config?: Config; problems: string[] } | string {
  const app = findApp(t);
  if (typeof app === 'string') return app;
  const env = Object.fromEntries(app.settings.map((s) => [s.name, typeof s.value === 'string' ? s.value : s.value instanceof DeployTime ? DEPLOY_TIME : String(s.value)]));
  try {
    return { app, env, config: needs.readConfig(env), problems: [] };
  } catch (err) {
    return { app, env, problems: (err as { problems?: string[] }).problems ?? [String(err)] };
  }
}

/** The user-assigned identities the app runs as (their resource IDs). */
const appIdentities = (app: TemplateApp): string[] => Object.keys((at(app.resource.value, 'identity.userAssignedIdentities') ?? {}) as object).map((k) => k.toLowerCase());

/** Whether `value` is reference(<identity>).<property> of one of the app's identities. */
const isIdentityProperty = (value: unknown, identities: string[], property: string): boolean =>
  value instanceof DeployTime && !!value.reference && identities.includes(value.reference.id.toLowerCase()) && value.reference.path.join('.') === property;

/** Every setting the code reads is set on the app, none is unknown, and the app accepts them all. */
export const checkAppSettings: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string') return [found];
  const { app, problems } = found;
  const declared = new Set(app.declared.map((s) => s.name));
  const out = needs.settings.filter((k) => !declared.has(k)).map((k) => `${k}: the app reads it, and the template does not set it`);
  for (const s of app.settings) {
    if (!needs.settings.includes(s.name) && !needs.hostSettings.test(s.name)) out.push(`${s.name}: set on the app, but neither the app nor the Functions host reads it`);
    if (s.value instanceof Secret) out.push(`${s.name}: a secret in an app setting, readable by whoever can read the app: use the app's secret store`);
  }
  const names = app.settings.map((s) => s.name);
  for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) out.push(`${dup}: set twice`);
  return [...out, ...problems.map((p) => `the app refuses its settings: ${p}`)];
};

/** Storage is reached by the app's identity alone: no shared keys, the roles the host and the app use, HTTPS only. */
export const checkStorageByIdentity: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string') return [found];
  const { app, env, config } = found;
  const out: string[] = [];
  if (env.AzureWebJobsStorage) out.push('AzureWebJobsStorage is a connection string: the host must reach storage by identity (AzureWebJobsStorage__accountName)');
  if (config && config.hostStorage.kind !== 'identity') out.push('the app reaches its storage by connection string, not by identity');
  if (env.AzureWebJobsStorage__credential !== 'managedidentity') out.push(`AzureWebJobsStorage__credential is ${describe(env.AzureWebJobsStorage__credential)}, not managedidentity`);
  const identities = appIdentities(app);
  const clientId = app.settings.find((s) => s.name === 'AzureWebJobsStorage__clientId')?.value;
  if (!isIdentityProperty(clientId, identities, 'clientId')) out.push(`AzureWebJobsStorage__clientId is ${describe(clientId)}, not the clientId of an identity the app runs as`);
  const account = resourcesOf(t, 'Microsoft.Storage/storageAccounts').find((r) => r.name === env.AzureWebJobsStorage__accountName);
  if (!account) return [...out, `no storage account named ${describe(env.AzureWebJobsStorage__accountName)} (AzureWebJobsStorage__accountName) in the template`];
  const p = (at(account.value, 'properties') ?? {}) as Record<string, unknown>;
  if (p.allowSharedKeyAccess !== false) out.push(`storage account ${account.name}: allowSharedKeyAccess is ${describe(p.allowSharedKeyAccess)}, not false`);
  if (p.allowBlobPublicAccess !== false) out.push(`storage account ${account.name}: allowBlobPublicAccess is ${describe(p.allowBlobPublicAccess)}, not false`);
  if (p.supportsHttpsTrafficOnly === false) out.push(`storage account ${account.name}: accepts plain HTTP (supportsHttpsTrafficOnly false)`);
  if (p.minimumTlsVersion !== 'TLS1_2') out.push(`storage account ${account.name}: minimumTlsVersion is ${describe(p.minimumTlsVersion)}, not TLS1_2`);
  const granted = resourcesOf(t, 'Microsoft.Authorization/roleAssignments')
    .filter((r) => String(r.value.scope).toLowerCase() === account.id.toLowerCase() && isIdentityProperty(at(r.value, 'properties.principalId'), identities, 'principalId'))
    .map((r) => String(at(r.value, 'properties.roleDefinitionId')).split('/').pop());
  for (const [use, role] of Object.entries(storageRoles)) if (!granted.includes(role)) out.push(`the app's identity lacks its ${use} role (${role}) on ${account.name}`);
  // The host reaches storage as it starts: its roles must be there before the app is.
  const dependsOn = new Set(((app.resource.value.dependsOn ?? []) as string[]).map((d) => d.toLowerCase()));
  for (const r of resourcesOf(t, 'Microsoft.Authorization/roleAssignments')) {
    if (!isIdentityProperty(at(r.value, 'properties.principalId'), identities, 'principalId')) continue;
    if (!dependsOn.has(r.id.toLowerCase()) && !(r.loop && dependsOn.has(r.loop.toLowerCase()))) out.push(`the app does not wait for its role assignment ${r.loop ?? r.name} (dependsOn)`);
  }
  return out;
};

/** Role assignments give built-in data roles only, and the deploying principal Blob Data Contributor alone. */
export const checkLeastRoles: TemplateCheck = (t) => {
  const app = findApp(t);
  if (typeof app === 'string') return [app];
  const identities = appIdentities(app);
  const known = new Set<string>(Object.values(builtInRoles));
  const out: string[] = [];
  for (const r of resourcesOf(t, 'Microsoft.Authorization/roleAssignments')) {
    const role = String(at(r.value, 'properties.roleDefinitionId')).split('/').pop() ?? '';
    const principal = at(r.value, 'properties.principalId');
    if (!known.has(role)) out.push(`role assignment ${r.name}: role ${role} is none of the data roles the app needs`);
    else if (!isIdentityProperty(principal, identities, 'principalId') && role !== builtInRoles.storageBlobDataContributor) {
      out.push(`role assignment ${r.name}: ${describe(principal)} (not the app) gets ${role}; only Blob Data Contributor, to publish models`);
    }
  }
  return out;
};

/** The containers and queues the app uses, poison queues included, exist on its account by the app's names. */
export const checkContainersAndQueues: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string') return [found];
  if (!found.config) return ['the app refuses its settings (see the settings check), so its containers are unknown'];
  const account = found.env.AzureWebJobsStorage__accountName;
  const names = (type: string) => new Set(resourcesOf(t, type).map((r) => r.name));
  const containers = names('Microsoft.Storage/storageAccounts/blobServices/containers');
  const queues = names('Microsoft.Storage/storageAccounts/queueServices/queues');
  const out = needs.containers(found.config).filter((c) => !containers.has(`${account}/default/${c}`)).map((c) => `blob container ${c} is not made on ${account}`);
  for (const q of needs.queues.flatMap((q) => [q, `${q}-poison`])) if (!queues.has(`${account}/default/${q}`)) out.push(`queue ${q} is not made on ${account}`);
  for (const r of resourcesOf(t, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
    const access = at(r.value, 'properties.publicAccess');
    if (access !== undefined && access !== 'None') out.push(`blob container ${r.name} allows public access (${describe(access)})`);
  }
  return out;
};

/** Batches (and nothing else) are deleted after the retention period. */
export const checkBatchRetention: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string' || !found.config) return ['the app or its settings are missing (see the settings check)'];
  const batches = `${found.config.batchesContainer}/`;
  const rules = resourcesOf(t, 'Microsoft.Storage/storageAccounts/managementPolicies').flatMap((r) => (at(r.value, 'properties.policy.rules') ?? []) as Record<string, unknown>[]);
  const expiring = rules.filter((r) => at(r, 'definition.actions.baseBlob.delete') !== undefined && r.enabled !== false);
  const out: string[] = [];
  if (!expiring.some((r) => JSON.stringify(at(r, 'definition.filters.prefixMatch')) === JSON.stringify([batches]))) out.push(`no lifecycle rule deletes the blobs under ${batches} (and only those)`);
  for (const r of expiring) {
    const prefixes = (at(r, 'definition.filters.prefixMatch') ?? []) as string[];
    if (prefixes.length === 0 || prefixes.some((p) => !p.startsWith(batches))) out.push(`lifecycle rule ${String(r.name)} deletes blobs outside ${batches}: ${describe(prefixes)}`);
    const days = at(r, 'definition.actions.baseBlob.delete.daysAfterModificationGreaterThan');
    if (typeof days !== 'number' || days < 1) out.push(`lifecycle rule ${String(r.name)} deletes after ${describe(days)} days`);
  }
  return out;
};

/** HTTPS-only ingress, open to the internet (event-driven scaling needs ingress), on the host's port. */
export const checkHttpsIngress: TemplateCheck = (t, needs) => {
  const app = findApp(t);
  if (typeof app === 'string') return [app];
  if (app.resource.type === 'Microsoft.Web/sites') return at(app.resource.value, 'properties.httpsOnly') === true ? [] : ['the site accepts plain HTTP (httpsOnly is not true)'];
  const ingress = at(app.resource.value, 'properties.configuration.ingress') as Record<string, unknown> | undefined;
  if (!ingress) return ['the container app has no ingress (HTTP triggers and event-driven scaling need it)'];
  const out: string[] = [];
  if (ingress.allowInsecure !== false) out.push(`ingress allowInsecure is ${describe(ingress.allowInsecure)}, not false: plain HTTP would reach the app`);
  if (ingress.external !== true) out.push('ingress is not external: clients cannot reach the API');
  if (ingress.targetPort !== needs.hostPort) out.push(`ingress targets port ${describe(ingress.targetPort)}, and the host listens on ${needs.hostPort}`);
  return out;
};

/** Startup, liveness and readiness probes on the app's health routes, with time for the worker to initialise. */
export const checkHealthProbes: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string') return [found];
  if (found.app.resource.type === 'Microsoft.Web/sites') return [];
  const probes = found.app.container.probes;
  if (!Array.isArray(probes)) return [`the app's probes are ${probes === undefined ? 'not set' : `known only at deployment: ${describe(probes)}`}`];
  const byType = new Map(probes.map((p: Record<string, unknown>) => [String(p.type).toLowerCase(), p]));
  // The ready route keeps a replica out only while it warms up or has no ready R worker (functions/models/readiness.ts).
  const readyPath = needs.probes.ready;
  const out: string[] = [];
  for (const [type, path] of [['startup', needs.probes.live], ['liveness', needs.probes.live], ['readiness', readyPath]] as const) {
    const p = byType.get(type);
    if (!p) {
      out.push(`no ${type} probe`);
      continue;
    }
    if (at(p, 'httpGet.path') !== path) out.push(`the ${type} probe asks ${describe(at(p, 'httpGet.path'))}, not ${path}`);
    if (at(p, 'httpGet.port') !== needs.hostPort) out.push(`the ${type} probe asks port ${describe(at(p, 'httpGet.port'))}, not ${needs.hostPort}`);
  }
  // Container Apps' limits (ContainerAppProbe in its REST API), which the Bicep types do not carry.
  const limits = { failureThreshold: [1, 10], initialDelaySeconds: [1, 60], periodSeconds: [1, 240], timeoutSeconds: [1, 240] } as const;
  for (const p of probes as Record<string, unknown>[]) {
    if (!['startup', 'liveness', 'readiness'].includes(String(p.type).toLowerCase())) out.push(`a probe of unknown type ${describe(p.type)}`);
    for (const [k, [lo, hi]] of Object.entries(limits)) {
      const v = p[k];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi)) out.push(`the ${String(p.type)} probe's ${k} ${describe(v)} is outside Container Apps' ${lo}..${hi}`);
    }
  }
  const startup = byType.get('startup');
  if (startup) {
    const n = (k: string, d: number) => (typeof startup[k] === 'number' ? (startup[k] as number) : d);
    const budget = n('initialDelaySeconds', 0) + n('periodSeconds', 10) * n('failureThreshold', 3);
    if (budget < needs.initSeconds) out.push(`the startup probe gives up after ${budget} s, before the host's ${needs.initSeconds} s of worker initialisation`);
  }
  return out;
};

/** Replicas: at least one and at most 1000 (Container Apps), the minimum not above the maximum, both bounded parameters. */
export const checkReplicas: TemplateCheck = (t) => {
  const app = findApp(t);
  if (typeof app === 'string') return [app];
  if (app.resource.type === 'Microsoft.Web/sites') return [];
  const scale = (at(app.resource.value, 'properties.template.scale') ?? {}) as Record<string, unknown>;
  const { minReplicas: min, maxReplicas: max } = scale;
  const out: string[] = [];
  if (typeof min !== 'number' || typeof max !== 'number') return [`minReplicas ${describe(min)} and maxReplicas ${describe(max)} must both be set`];
  if (min < 1) out.push(`minReplicas is ${min}: no replica is kept warm, so a request after a quiet spell waits for the host and R to start`);
  if (max < min) out.push(`maxReplicas ${max} is below minReplicas ${min}`);
  if (max > 1000) out.push(`maxReplicas ${max} is above Container Apps' 1000`);
  // Whatever parameters feed them must be bounded, so that a deployment cannot ask for more.
  const fed = JSON.stringify(at(app.raw, 'properties.template.scale') ?? {});
  for (const [name, p] of Object.entries(t.template.parameters ?? {})) {
    if (!fed.includes(`parameters('${name}')`)) continue;
    if (typeof p.minValue !== 'number' || typeof p.maxValue !== 'number' || p.minValue < 0 || p.maxValue > 1000) out.push(`parameter ${name} is not bounded within 0..1000 (@minValue/@maxValue)`);
  }
  return out;
};

/** Secrets only from secure parameters, only in the app's secret store: nowhere else, not in outputs, no account keys. */
export const checkSecrets: TemplateCheck = (t) => {
  const out: string[] = [];
  for (const r of t.resources) {
    for (const { path, secret } of secretsIn(r.value)) {
      if (/^list/i.test(secret.expression)) out.push(`${r.type} ${r.name}: ${path} uses ${secret.expression.split('(')[0]}(), a key: reach the resource by identity`);
      else if (!(r.type === 'Microsoft.App/containerApps' && /^properties\.configuration\.secrets\.\d+\.value$/.test(path))) out.push(`${r.type} ${r.name}: a secret at ${path}, outside the app's secret store`);
    }
  }
  for (const [name, value] of Object.entries(t.outputs)) if (secretsIn(value).length > 0) out.push(`output ${name} gives out a secret`);
  for (const [name, p] of Object.entries(t.template.parameters ?? {})) {
    const secure = p.type.toLowerCase().startsWith('secure');
    if (secure && p.defaultValue !== undefined && p.defaultValue !== '') out.push(`secure parameter ${name} has a default value`);
    if (!secure && /key|password|secret|token$|connectionstring/i.test(name)) out.push(`parameter ${name} looks like a secret and is not @secure()`);
  }
  return out;
};

/** The Functions keys: made as secure parameters azd generates, mounted where the host on Container Apps reads them. */
export const checkFunctionKeys: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string') return [found];
  if (found.app.resource.type === 'Microsoft.Web/sites') return [];
  const out: string[] = [];
  const secrets = (at(found.app.resource.value, 'properties.configuration.secrets') ?? []) as { name: string; value: unknown }[];
  const volumes = (at(found.app.resource.value, 'properties.template.volumes') ?? []) as { name: string; storageType: string; secrets?: { secretRef: string; path: string }[] }[];
  const mounts = (found.app.container.volumeMounts ?? []) as { volumeName: string; mountPath: string }[];
  const volume = volumes.find((v) => v.storageType === 'Secret' && mounts.some((m) => m.volumeName === v.name && m.mountPath === '/run/secrets/functions-keys'));
  if (!volume) return ['no secret volume mounted at /run/secrets/functions-keys, where the host reads its keys: no function-level route would open'];
  for (const file of ['host.master', 'host.function.default']) {
    const ref = volume.secrets?.find((s) => s.path === file)?.secretRef;
    const secret = secrets.find((s) => s.name === ref);
    if (!secret) out.push(`no key file ${file} in the keys volume`);
    else if (!(secret.value instanceof Secret)) out.push(`key ${file} is not from a secure parameter`);
    else {
      const param = /^parameters\('([^']+)'\)$/.exec(secret.value.expression)?.[1] ?? '';
      const azd = at(t.template.parameters?.[param], 'metadata.azd') as { type?: string } | undefined;
      if (azd?.type !== 'generate') out.push(`key ${file} (parameter ${param || secret.value.expression}) is not generated by azd (@metadata azd type generate)`);
    }
  }
  if ('AzureWebJobsSecretStorageType' in found.env) out.push('AzureWebJobsSecretStorageType is set: the host would not read the mounted keys');
  return out;
};

/** Hosting: a native Functions app on Container Apps that azd deploys, pulling its image by identity; telemetry by Entra ID only. */
export const checkHosting: TemplateCheck = (t, needs) => {
  const found = appAndConfig(t, needs);
  if (typeof found === 'string') return [found];
  const { app, env } = found;
  const out: string[] = [];
  if (app.resource.type !== 'Microsoft.App/containerApps') out.push(`the app is a ${app.resource.type}; azd's containerapp target deploys to Microsoft.App/containerApps only`);
  if (at(app.resource.value, 'tags.azd-service-name') !== 'api') out.push("the app is not tagged azd-service-name: api, which azd finds it by");
  if (at(app.resource.value, 'identity.type') !== 'UserAssigned' || appIdentities(app).length !== 1) out.push('the app does not run as exactly one user-assigned identity');
  const identities = appIdentities(app);
  for (const reg of (at(app.resource.value, 'properties.configuration.registries') ?? []) as Record<string, unknown>[]) {
    if (reg.passwordSecretRef !== undefined || !identities.includes(String(reg.identity).toLowerCase())) out.push(`registry ${describe(reg.server)} is not pulled from with the app's identity`);
  }
  for (const r of resourcesOf(t, 'Microsoft.ContainerRegistry/registries')) if (at(r.value, 'properties.adminUserEnabled') !== false) out.push(`registry ${r.name} has its admin user (a password) enabled`);
  for (const r of resourcesOf(t, 'Microsoft.Insights/components')) if (at(r.value, 'properties.DisableLocalAuth') !== true) out.push(`Application Insights ${r.name} accepts telemetry without Entra ID (DisableLocalAuth is not true)`);
  const auth = app.settings.find((s) => s.name === 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.value;
  if (env.APPLICATIONINSIGHTS_CONNECTION_STRING && !(typeof auth === 'string' ? auth : auth instanceof DeployTime ? auth.expression : '').includes('Authorization=AAD')) {
    out.push('APPLICATIONINSIGHTS_AUTHENTICATION_STRING does not ask for Entra ID (Authorization=AAD): telemetry would be dropped');
  }
  return out;
};

export const templateChecks = {
  checkAppSettings,
  checkStorageByIdentity,
  checkLeastRoles,
  checkContainersAndQueues,
  checkBatchRetention,
  checkHttpsIngress,
  checkHealthProbes,
  checkReplicas,
  checkSecrets,
  checkFunctionKeys,
  checkHosting,
} satisfies Record<string, TemplateCheck>;
