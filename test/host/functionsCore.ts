import Module from 'node:module';

/** What @azure/functions hands the worker for each function: its metadata and handler. */
export interface RegisteredFunction {
  name: string;
  bindings: Record<string, { type: string; direction: string; [key: string]: unknown }>;
  handler: (...args: unknown[]) => unknown;
}

export interface FunctionsCore {
  functions: RegisteredFunction[];
  hooks: Map<string, ((context: unknown) => unknown)[]>;
}

let installed: FunctionsCore | undefined;

/**
 * Provides the module `@azure/functions-core`, which the real Node worker injects. With it
 * present, `@azure/functions` leaves test mode and registers each function's full metadata
 * (route, methods, authLevel, queue bindings) and handler here, as it does with the worker.
 */
export function installFunctionsCore(): FunctionsCore {
  if (installed) return installed;
  const core: FunctionsCore = { functions: [], hooks: new Map() };
  const api = {
    version: 'test-host',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerFunction(metadata: { name: string; bindings: RegisteredFunction['bindings'] }, handler: RegisteredFunction['handler']) {
      core.functions.push({ name: metadata.name, bindings: metadata.bindings, handler });
      return { dispose: () => undefined };
    },
    registerHook(name: string, callback: (context: unknown) => unknown) {
      const list = core.hooks.get(name) ?? [];
      list.push(callback);
      core.hooks.set(name, list);
      return { dispose: () => list.splice(list.indexOf(callback), 1) };
    },
    log: (level: string, category: string, message: string) => {
      if (level === 'error' || level === 'critical' || level === 'warning') console.error(`[${level}] ${message}`);
    },
  };
  const moduleWithLoad = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = moduleWithLoad._load;
  moduleWithLoad._load = function (request: string, ...rest: unknown[]) {
    if (request === '@azure/functions-core') return api;
    return load.call(this, request, ...rest);
  };
  installed = core;
  return core;
}
