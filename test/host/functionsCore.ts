import Module from 'node:module';

/** What @azure/functions hands the worker for each function: its metadata and handler. */
export interface RegisteredFunction {
  name: string;
  bindings: Record<string, { type: string; direction: string; [key: string]: unknown }>;
  handler: (...args: unknown[]) => unknown;
  /** The entry module whose loading registered it. */
  entry?: string;
}

export type HookCallback = (context: unknown) => unknown;

export interface FunctionsCore {
  functions: RegisteredFunction[];
  hooks: Map<string, HookCallback[]>;
}

interface Registry extends FunctionsCore {
  /** The entry each hook was registered by. */
  hookEntries: Map<HookCallback, string | undefined>;
  /** The entry being loaded now, or the last one loaded. */
  entry?: string;
}

let installed: Registry | undefined;
let loading: Promise<unknown> = Promise.resolve();

/**
 * Provides the module `@azure/functions-core`, which the real Node worker injects. With it
 * present, `@azure/functions` leaves test mode and registers each function's full metadata
 * (route, methods, authLevel, queue bindings) and handler here, as it does with the worker.
 *
 * The module is provided once per process; each registration is tagged with the entry module
 * being loaded (see loadEntry), so that hosts started on different entries in one process
 * each see only their own app's functions and hooks.
 */
export function installFunctionsCore(): FunctionsCore {
  if (installed) return installed;
  const core: Registry = { functions: [], hooks: new Map(), hookEntries: new Map() };
  const api = {
    version: 'test-host',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerFunction(metadata: { name: string; bindings: RegisteredFunction['bindings'] }, handler: RegisteredFunction['handler']) {
      core.functions.push({ name: metadata.name, bindings: metadata.bindings, handler, entry: core.entry });
      return { dispose: () => undefined };
    },
    registerHook(name: string, callback: HookCallback) {
      const list = core.hooks.get(name) ?? [];
      list.push(callback);
      core.hooks.set(name, list);
      core.hookEntries.set(callback, core.entry);
      return {
        dispose: () => {
          const i = list.indexOf(callback);
          if (i >= 0) list.splice(i, 1);
          core.hookEntries.delete(callback);
        },
      };
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

/**
 * Loads an app's entry module (`importEntry`), tagging what it registers with `entry`, and
 * returns the functions and hooks that entry registered (now or when it was first loaded: a
 * module already imported does not register again). Loads are serialised so that tags do not mix.
 */
export async function loadEntry(entry: string, importEntry: () => Promise<unknown>): Promise<FunctionsCore> {
  const core = installFunctionsCore() as Registry;
  const run = loading.then(async () => {
    core.entry = entry;
    await importEntry();
  });
  loading = run.catch(() => undefined);
  await run;
  return entryView(core, entry);
}

/** The functions and hooks registered by one entry, as live lists. */
function entryView(core: Registry, entry: string): FunctionsCore {
  return {
    get functions() {
      return core.functions.filter((f) => f.entry === entry);
    },
    get hooks() {
      const hooks = new Map<string, HookCallback[]>();
      for (const [name, list] of core.hooks) hooks.set(name, list.filter((h) => core.hookEntries.get(h) === entry));
      return hooks;
    },
  };
}
