import { ArmExpressionError, DeployTime, evaluate, isExpression, parseExpression, Secret, type DeploymentContext, type Scope } from './armExpression.js';

/**
 * A compiled ARM template (what `bicep build` writes) evaluated for one set of parameters:
 * every expression computed as far as it can be without Azure, copy loops expanded, each
 * resource with its condition and its resource ID. Pure: the checks in templateChecks.ts
 * read this, so that a test can run them on a changed copy of the template.
 */
export interface ArmTemplate {
  languageVersion?: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; minValue?: number; maxValue?: number; allowedValues?: unknown[]; metadata?: Record<string, unknown> }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  condition?: unknown;
  copy?: { name: string; count: unknown };
  existing?: boolean;
  [key: string]: unknown;
}

export interface ResolvedResource {
  type: string;
  apiVersion: string;
  /** The resource's name (`account/default/models` for a child), and its ID. */
  name: string;
  id: string;
  /** The copy loop it comes from, as dependsOn names it. */
  loop?: string;
  /** Whether it is deployed with these parameters: true, false, or a DeployTime when only Azure knows. */
  deployed: boolean | DeployTime;
  /** Every property as the deployment would send it (name, properties, identity, tags, scope...). */
  value: Record<string, unknown>;
}

export interface ResolvedTemplate {
  template: ArmTemplate;
  parameters: Record<string, unknown>;
  resources: ResolvedResource[];
  outputs: Record<string, unknown>;
  /** Evaluates one more expression (or template value) in the template's scope. */
  evaluate(value: unknown): unknown;
}

export const defaultContext: DeploymentContext = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-test',
  location: 'westeurope',
  tenantId: '00000000-0000-0000-0000-000000000002',
};

/** Evaluates a template value: expression strings computed, objects and arrays (and their keys) throughout, property copy loops expanded. */
function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (isExpression(value)) return evaluate(parseExpression(value), scope);
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'copy' && Array.isArray(v)) {
        // Property loops: { copy: [{ name, count, input }] } becomes { name: [input, ...] }.
        for (const loop of v as { name: string; count: unknown; input: unknown }[]) {
          const count = Number(resolveValue(loop.count, scope));
          out[loop.name] = Array.from({ length: count }, (_, i) => resolveValue(loop.input, { ...scope, copyIndex: { ...scope.copyIndex, [loop.name]: i } }));
        }
        continue;
      }
      const key = resolveValue(k, scope);
      out[key instanceof DeployTime || key instanceof Secret ? key.expression : String(key)] = resolveValue(v, scope);
    }
    return out;
  }
  return value;
}

/** A resource's ID from its type and (slash-separated) name: under its scope (an extension resource such as a role assignment), else in the deployment's resource group. */
function resourceIdOf(type: string, name: string, scope: unknown, context: DeploymentContext): string {
  const [namespace, ...types] = type.split('/');
  const names = name.split('/');
  const under = typeof scope === 'string' && scope.startsWith('/') ? scope : `/subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroup}`;
  return `${under}/providers/${[namespace, ...types.flatMap((t, i) => [t, names[i]])].join('/')}`;
}

/**
 * Resolves `template` with `given` parameter values (others take their defaults; a secure
 * parameter is always a Secret). A nested deployment with an inline template (a Bicep
 * module) is resolved too, so reference() of it gives the module's outputs.
 */
export function resolveTemplate(template: ArmTemplate, given: Record<string, unknown> = {}, context: DeploymentContext = defaultContext): ResolvedTemplate {
  const declared = template.parameters ?? {};
  const unknownParams = Object.keys(given).filter((k) => !(k in declared));
  if (unknownParams.length > 0) throw new ArmExpressionError(`the template declares no parameter ${unknownParams.join(', ')}`);
  const parameters: Record<string, unknown> = {};
  const variables = new Map<string, unknown>();
  const modules = new Map<string, unknown>();
  const scope: Scope = {
    context,
    parameter(name) {
      if (name in parameters) return parameters[name];
      const p = declared[name];
      if (!p) throw new ArmExpressionError(`no parameter ${name}`);
      const secure = p.type.toLowerCase().startsWith('secure');
      if (secure) parameters[name] = new Secret(`parameters('${name}')`);
      else if (name in given) parameters[name] = given[name];
      else if ('defaultValue' in p) parameters[name] = resolveValue(p.defaultValue, scope);
      else throw new ArmExpressionError(`parameter ${name} has no value and no default`);
      return parameters[name];
    },
    variable(name) {
      if (!variables.has(name)) {
        if (!template.variables || !(name in template.variables)) throw new ArmExpressionError(`no variable ${name}`);
        variables.set(name, resolveValue(template.variables[name], scope));
      }
      return variables.get(name);
    },
    reference: (id) => modules.get(id.toLowerCase()),
  };
  for (const name of Object.keys(declared)) scope.parameter(name);

  const raw = Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
  const resources: ResolvedResource[][] = raw.map(() => []);
  // Modules first, so that reference() of one gives its outputs wherever it is used.
  const order = raw.map((_, i) => i).sort((x, y) => Number(raw[y]?.type === 'Microsoft.Resources/deployments') - Number(raw[x]?.type === 'Microsoft.Resources/deployments'));
  for (const at of order) {
    const resource = raw[at] as ArmResource;
    const loop = resource.copy;
    const count = loop ? Number(resolveValue(loop.count, scope)) : 1;
    for (let i = 0; i < count; i++) {
      const local: Scope = loop ? { ...scope, copyIndex: { '': i, [loop.name]: i } } : scope;
      const { copy: _copy, condition, properties, ...rest } = resource;
      const inner = resource.type === 'Microsoft.Resources/deployments' && (properties as { expressionEvaluationOptions?: { scope?: string } })?.expressionEvaluationOptions?.scope === 'inner';
      // A module's own template is evaluated in its own scope, below; only its parameters here.
      const value = resolveValue(
        { ...rest, properties: inner ? { ...(properties as object), template: undefined } : properties },
        local,
      ) as Record<string, unknown>;
      const name = String(value.name);
      const id = resourceIdOf(resource.type, name, value.scope, context);
      const deployedValue = condition === undefined ? true : resolveValue(condition, local);
      const deployed = deployedValue instanceof DeployTime ? deployedValue : deployedValue === true;
      if (inner && deployed === true) {
        const module = (properties as { template: ArmTemplate; parameters?: Record<string, unknown> }).template;
        const passed = (value.properties as { parameters?: Record<string, { value: unknown }> }).parameters ?? {};
        const values = Object.fromEntries(Object.entries(passed).map(([k, v]) => [k, v.value]));
        const resolvedModule = resolveTemplate(module, values, context);
        modules.set(id.toLowerCase(), { outputs: Object.fromEntries(Object.entries(resolvedModule.outputs).map(([k, v]) => [k, { value: v }])) });
        (value.properties as Record<string, unknown>).template = module;
      }
      (resources[at] as ResolvedResource[]).push({ type: resource.type, apiVersion: resource.apiVersion, name, id, ...(loop ? { loop: loop.name } : {}), deployed, value });
    }
  }
  const outputs = Object.fromEntries(Object.entries(template.outputs ?? {}).map(([k, o]) => [k, resolveValue(o.value, scope)]));
  return { template, parameters, resources: resources.flat(), outputs, evaluate: (v) => resolveValue(v, scope) };
}
