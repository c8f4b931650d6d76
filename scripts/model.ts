/**
 * npm run model -- <command>: the model lifecycle from the command line, on the storage the
 * app reads (found as publish-model finds it), with the app's own code:
 *   alias <name> <alias> <version>   point an alias at an existing version (promote, roll back)
 *   traffic <name> <alias> <v=weight...> [--shadow v=percent]
 *                                    split an alias by weight (a rollout), optionally shadowed
 *   unalias <name> <alias>           remove an alias (not latest)
 *   delete <name> <version>          delete a version no alias points at
 *   history <name>                   every alias move
 *   list [name]                      models, versions and aliases
 * Each move is recorded in the model's history, by the user running the command.
 */
import { Command } from 'commander';
import { isAppError } from '../functions/errors.js';
import { userInfo } from 'node:os';
import { existingModel, pointAlias, removeAlias, removeVersion } from '../functions/models/lifecycle.js';
import { readRouteBody, type TrafficRoute } from '../functions/models/traffic.js';
import type { ModelStore } from '../functions/storage/modelStore.js';
import { address, callerDir, signInHint, storageTarget, storeOf } from './storageTarget.js';

const program = new Command().name('model').description('Move aliases, delete versions and read their history').option('--connection <string>', 'storage connection string').option('--container <name>', 'models container');
const by = `cli (${userInfo().username})`;

function store(): ModelStore {
  const { connection, container } = program.opts<{ connection?: string; container?: string }>();
  const s = storeOf(storageTarget(connection, callerDir('model'), 'model'), container);
  console.error(`model: storage ${address(s)}`);
  return s;
}

const run = (action: (...args: string[]) => Promise<void>) => async (...args: string[]) => {
  try {
    await action(...args);
  } catch (err) {
    const fields = isAppError(err) ? err.errors.map((e) => `\n  ${e.field}: ${e.message}`).join('') : '';
    console.error(`model: ${(err as Error).message}${fields}${signInHint(err as Error)}`);
    process.exit(1);
  }
};

program.command('alias <name> <alias> <version>').description('point an alias at an existing version').action(run(async (name, alias, version) => {
  const move = await pointAlias(store(), name, alias, version, by);
  console.log(`${name}: ${alias} ${move.from ?? '(new)'} -> ${move.to}`);
}));

/** `3=90` as ["3", 90]; a bare number stays text, for readRouteBody to name. */
const pair = (text: string): [string, unknown] => {
  const at = text.lastIndexOf('=');
  return at < 0 ? [text, undefined] : [text.slice(0, at), Number(text.slice(at + 1))];
};
const describeRoute = (r: TrafficRoute) => {
  const versions = Object.entries(r.versions);
  const served = versions.length === 1 ? (versions[0] as [string, number])[0] : versions.map(([v, w]) => `${v}=${w}`).join(' ');
  return `${served}${r.shadow ? ` (shadow ${r.shadow.version} at ${r.shadow.percent}%)` : ''}`;
};

program
  .command('traffic <name> <alias> <weights...>')
  .description('split an alias by weight, e.g. 3=90 4=10 (a rollout); --shadow 5=20 also scores 20% of requests on 5 after answering')
  .option('--shadow <version=percent>', 'a shadow version and the share of requests it scores')
  .action(run(async (name, alias, weights, options) => {
    const shadow = (options as unknown as { shadow?: string }).shadow;
    const [sv, sp] = shadow ? pair(shadow) : [undefined, undefined];
    const route = readRouteBody({ versions: Object.fromEntries((weights as unknown as string[]).map(pair)), ...(sv ? { shadow: { version: sv, percent: sp } } : {}) });
    const move = await pointAlias(store(), name, alias, route, by);
    console.log(`${name}: ${alias} ${move.from ?? '(new)'} -> ${describeRoute(route)}`);
  }));

program.command('unalias <name> <alias>').description('remove an alias (latest stays)').action(run(async (name, alias) => {
  const move = await removeAlias(store(), name, alias, by);
  console.log(`${name}: ${alias} removed (was ${move.from})`);
}));

program.command('delete <name> <version>').description('delete a version no alias points at').action(run(async (name, version) => {
  await removeVersion(store(), name, version);
  console.log(`${name}: version ${version} deleted`);
}));

program.command('history <name>').description('every alias move, oldest first').action(run(async (name) => {
  const s = store();
  await existingModel(s, name);
  for (const m of await s.readHistory(name)) console.log(`${m.at}  ${m.alias}: ${m.from ?? '-'} -> ${m.traffic ? describeRoute(m.traffic) : (m.to ?? '(removed)')}  by ${m.by}`);
}));

program.command('list [name]').description('models, their versions and aliases').action(run(async (name) => {
  const s = store();
  const names = name ? [name] : await s.listModelNames();
  for (const n of names) {
    const i = await existingModel(s, n);
    console.log(`${n}: versions ${i.versions.join(', ')}; ${Object.entries(i.routes).map(([a, r]) => `${a} -> ${describeRoute(r)}`).join(', ')}`);
  }
}));

await program.parseAsync();
