import { createHash } from 'node:crypto';

/**
 * ARM template expressions (`"[format('st{0}', variables('token'))]"`), parsed and evaluated
 * as far as they can be without Azure: literals, parameters, variables, the array, object,
 * string, logical and lambda functions, resourceId() and its kin, copyIndex(). Whatever only
 * a deployment knows (reference(), a resource's runtime properties) becomes a DeployTime
 * value; a secure parameter, or a list*() call such as listKeys(), becomes a Secret, and
 * anything made from a Secret stays one. Pure: no I/O.
 */
export type ArmNode =
  | { kind: 'string'; value: string; text: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'call'; name: string; args: ArmNode[]; text: string }
  | { kind: 'property'; target: ArmNode; name: string; text: string }
  | { kind: 'index'; target: ArmNode; index: ArmNode; text: string };

/** A value only the deployment knows; `reference` says which resource's runtime property it reads. */
export class DeployTime {
  constructor(
    readonly expression: string,
    readonly reference?: { id: string; path: readonly string[] },
  ) {}
}

/** A secret: a secure parameter's value, a list*() result, or anything computed from one. */
export class Secret {
  constructor(readonly expression: string) {}
}

export class Lambda {
  constructor(
    readonly params: readonly string[],
    readonly body: ArmNode,
  ) {}
}

export class ArmExpressionError extends Error {
  readonly code = 'invalid_arm_expression';
  constructor(message: string) {
    super(message);
    this.name = 'ArmExpressionError';
  }
}

/** Whether a template string is an expression (`[...]`; `[[` escapes a literal `[`). */
export const isExpression = (s: string): boolean => s.startsWith('[') && !s.startsWith('[[') && s.endsWith(']');

/** Parses the inside of `[...]`. */
export function parseExpression(source: string): ArmNode {
  const text = isExpression(source) ? source.slice(1, -1) : source;
  let at = 0;
  const space = () => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  const fail = (what: string): never => {
    throw new ArmExpressionError(`${what} at ${at} in ${source}`);
  };
  const expect = (c: string) => {
    space();
    if (text[at] !== c) fail(`expected "${c}"`);
    at++;
  };
  const primary = (): ArmNode => {
    space();
    const start = at;
    const c = text[at];
    if (c === "'") {
      let value = '';
      at++;
      for (;;) {
        if (at >= text.length) fail('unterminated string');
        if (text[at] === "'") {
          if (text[at + 1] === "'") {
            value += "'";
            at += 2;
            continue;
          }
          at++;
          break;
        }
        value += text[at++];
      }
      return { kind: 'string', value, text: text.slice(start, at) };
    }
    const number = /^-?\d+(?:\.\d+)?/.exec(text.slice(at));
    if (number) {
      at += number[0].length;
      return { kind: 'number', value: Number(number[0]), text: number[0] };
    }
    const ident = /^[A-Za-z_][\w.]*/.exec(text.slice(at));
    if (!ident) return fail('expected a value');
    at += ident[0].length;
    expect('(');
    const args: ArmNode[] = [];
    space();
    if (text[at] === ')') at++;
    else {
      for (;;) {
        args.push(postfix());
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: ident[0].toLowerCase(), args, text: text.slice(start, at) };
  };
  const postfix = (): ArmNode => {
    space();
    const start = at;
    let node = primary();
    for (;;) {
      space();
      if (text[at] === '.') {
        at++;
        space();
        const name = /^[A-Za-z_$][\w$-]*/.exec(text.slice(at));
        if (!name) fail('expected a property name');
        at += (name as RegExpExecArray)[0].length;
        node = { kind: 'property', target: node, name: (name as RegExpExecArray)[0], text: text.slice(start, at) };
      } else if (text[at] === '[') {
        at++;
        const index = postfix();
        expect(']');
        node = { kind: 'index', target: node, index, text: text.slice(start, at) };
      } else return node;
    }
  };
  const node = postfix();
  space();
  if (at !== text.length) fail('unexpected text');
  return node;
}

/** Where a deployment happens, for subscription(), resourceGroup() and resourceId(). */
export interface DeploymentContext {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tenantId: string;
}

export interface Scope {
  context: DeploymentContext;
  parameter(name: string): unknown;
  variable(name: string): unknown;
  /** reference() of a resource the template itself deploys, where the evaluator can know it (a module's outputs). */
  reference?(id: string): unknown;
  copyIndex?: Record<string, number> & { ''?: number };
  lambda?: Record<string, unknown>;
}

const isOpaque = (v: unknown): v is DeployTime | Secret => v instanceof DeployTime || v instanceof Secret;

/** The first Secret among values, else a DeployTime for `text` if any value is one, else undefined. */
function opaque(values: unknown[], text: string): DeployTime | Secret | undefined {
  if (values.some((v) => v instanceof Secret || (typeof v === 'object' && v !== null && containsSecret(v)))) return new Secret(text);
  if (values.some((v) => v instanceof DeployTime)) return new DeployTime(text);
  return undefined;
}

/** Whether a value holds a Secret anywhere inside it. */
export function containsSecret(value: unknown): boolean {
  if (value instanceof Secret) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (value && typeof value === 'object' && !(value instanceof DeployTime) && !(value instanceof Lambda)) return Object.values(value).some(containsSecret);
  return false;
}

/** A stand-in for uniqueString(): deterministic and distinct per input, but not Azure's hash. */
const uniqueString = (args: unknown[]): string => {
  const digest = createHash('sha256').update(args.map(String).join('|')).digest();
  return [...digest.subarray(0, 13)].map((b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32]).join('');
};

const guid = (args: unknown[]): string => {
  const h = createHash('sha1').update(args.map(String).join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** `Microsoft.X/a/b` with names [n1, n2] as `Microsoft.X/a/n1/b/n2`. */
function typedNames(type: string, names: unknown[]): string {
  const [namespace, ...types] = type.split('/');
  if (types.length !== names.length) throw new ArmExpressionError(`${type} takes ${types.length} names, got ${names.length}`);
  return [namespace, ...types.flatMap((t, i) => [t, String(names[i])])].join('/');
}

const truthy = (v: unknown): boolean => v === true;
const isEmpty = (v: unknown): boolean =>
  v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as object).length === 0);

function access(target: unknown, key: string | number, text: string): unknown {
  if (target instanceof Secret) return new Secret(text);
  if (target instanceof DeployTime) return new DeployTime(text, target.reference && { id: target.reference.id, path: [...target.reference.path, String(key)] });
  if (target === null || target === undefined) throw new ArmExpressionError(`${text}: nothing to read ${key} from`);
  const found = (target as Record<string | number, unknown>)[key];
  if (found === undefined && typeof key === 'string' && typeof target === 'object') {
    // ARM reads property names case-insensitively.
    const match = Object.keys(target).find((k) => k.toLowerCase() === key.toLowerCase());
    return match === undefined ? undefined : (target as Record<string, unknown>)[match];
  }
  return found;
}

/** Evaluates a parsed expression in a scope. */
export function evaluate(node: ArmNode, scope: Scope): unknown {
  switch (node.kind) {
    case 'string':
    case 'number':
      return node.value;
    case 'property':
      return access(evaluate(node.target, scope), node.name, node.text);
    case 'index': {
      const index = evaluate(node.index, scope);
      if (isOpaque(index)) return opaque([index], node.text);
      return access(evaluate(node.target, scope), index as string | number, node.text);
    }
    case 'call':
      return call(node, scope);
  }
}

function call(node: Extract<ArmNode, { kind: 'call' }>, scope: Scope): unknown {
  const { name, text } = node;
  // The lazy ones first: if() evaluates one branch only, lambda() none.
  if (name === 'if') {
    const [test, yes, no] = node.args as [ArmNode, ArmNode, ArmNode];
    const condition = evaluate(test, scope);
    if (isOpaque(condition)) return opaque([condition], text);
    return evaluate(truthy(condition) ? yes : no, scope);
  }
  if (name === 'lambda') {
    const params = node.args.slice(0, -1).map((a) => (a.kind === 'string' ? a.value : ''));
    return new Lambda(params, node.args[node.args.length - 1] as ArmNode);
  }
  const args = node.args.map((a) => evaluate(a, scope));
  const [a, b] = args;
  const apply = (fn: unknown, values: unknown[]): unknown => {
    if (!(fn instanceof Lambda)) throw new ArmExpressionError(`${text}: expected a lambda`);
    const lambda = { ...scope.lambda, ...Object.fromEntries(fn.params.map((p, i) => [p, values[i]])) };
    return evaluate(fn.body, { ...scope, lambda });
  };
  switch (name) {
    case 'parameters':
      return scope.parameter(a as string);
    case 'variables':
      return scope.variable(a as string);
    case 'lambdavariables':
      return scope.lambda?.[a as string];
    case 'copyindex': {
      const named = typeof a === 'string';
      const index = scope.copyIndex?.[named ? a : ''];
      if (index === undefined) throw new ArmExpressionError(`${text}: not in a copy loop`);
      return index + Number((named ? b : a) ?? 0);
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'subscription':
      return { id: `/subscriptions/${scope.context.subscriptionId}`, subscriptionId: scope.context.subscriptionId, tenantId: scope.context.tenantId };
    case 'resourcegroup':
      return {
        id: `/subscriptions/${scope.context.subscriptionId}/resourceGroups/${scope.context.resourceGroup}`,
        name: scope.context.resourceGroup,
        location: scope.context.location,
      };
    case 'reference': {
      if (isOpaque(a)) return opaque([a], text);
      const known = scope.reference?.(String(a));
      return known !== undefined ? known : new DeployTime(text, { id: String(a), path: [] });
    }
  }
  if (name.startsWith('list')) return new Secret(text);
  if (name === 'filter' || name === 'map') {
    if (isOpaque(a)) return opaque([a], text);
    const items = a as unknown[];
    if (name === 'map') return items.map((item, i) => apply(b, [item, i]));
    // An item whose test only the deployment can answer is kept.
    return items.filter((item, i) => {
      const keep = apply(b, [item, i]);
      return isOpaque(keep) || truthy(keep);
    });
  }
  if (name === 'createobject') {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 2) o[String(args[i] instanceof DeployTime ? (args[i] as DeployTime).expression : args[i])] = args[i + 1];
    return o;
  }
  if (name === 'createarray') return args;
  if (name === 'union') {
    if (args.every((v) => Array.isArray(v))) return [...new Set(args.flat())];
    const hidden = args.find(isOpaque);
    if (hidden) return opaque([hidden], text);
    return Object.assign({}, ...args);
  }
  if (name === 'coalesce') return args.find((v) => v !== null && v !== undefined) ?? null;
  if (name === 'empty') return isOpaque(a) ? opaque([a], text) : isEmpty(a);
  const hidden = opaque(args, text);
  if (hidden) return hidden;
  switch (name) {
    case 'not':
      return !truthy(a);
    case 'and':
      return args.every(truthy);
    case 'or':
      return args.some(truthy);
    case 'equals':
      return JSON.stringify(a) === JSON.stringify(b);
    case 'length':
      return typeof a === 'string' || Array.isArray(a) ? a.length : Object.keys(a as object).length;
    case 'contains':
      return typeof a === 'string' ? a.includes(String(b)) : Array.isArray(a) ? a.some((v) => JSON.stringify(v) === JSON.stringify(b)) : Object.hasOwn(a as object, String(b));
    case 'concat':
      return Array.isArray(a) ? args.flat() : args.map(String).join('');
    case 'format':
      return String(a).replace(/\{(\d+)(?::[^}]*)?\}/g, (_m, i: string) => String(args[Number(i) + 1]));
    case 'tolower':
      return String(a).toLowerCase();
    case 'toupper':
      return String(a).toUpperCase();
    case 'string':
      return typeof a === 'string' ? a : JSON.stringify(a);
    case 'int':
      return Math.trunc(Number(a));
    case 'bool':
      return a === true || String(a).toLowerCase() === 'true';
    case 'json':
      return JSON.parse(String(a));
    case 'uniquestring':
      return uniqueString(args);
    case 'guid':
      return guid(args);
    case 'resourceid': {
      // resourceId([subscriptionId], [resourceGroupName], type, names...): the type is the first argument with a slash.
      const t = args.findIndex((v) => typeof v === 'string' && v.includes('/'));
      const [sub, rg] = t === 2 ? args : t === 1 ? [scope.context.subscriptionId, args[0]] : [scope.context.subscriptionId, scope.context.resourceGroup];
      return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${typedNames(args[t] as string, args.slice(t + 1))}`;
    }
    case 'subscriptionresourceid':
      return `/subscriptions/${scope.context.subscriptionId}/providers/${typedNames(a as string, args.slice(1))}`;
    case 'extensionresourceid':
      return `${a}/providers/${typedNames(b as string, args.slice(2))}`;
    default:
      // A function this evaluator does not model: its value is left to the deployment.
      return new DeployTime(text);
  }
}
