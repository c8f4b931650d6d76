/**
 * npm run model -- <command>: the model lifecycle from the command line, on the storage the
 * app reads (found as publish-model finds it), with the app's own code:
 *   alias <name> <alias> <version>   point an alias at an existing version (promote, roll back)
 *   unalias <name> <alias>           remove an alias (not latest)
 *   delete <name> <version>          delete a version no alias points at
 *   history <name>                   every alias move
 *   list [name]                      models, versions and aliases
 * Each move is recorded in the model's history, by the user running the command.
 */
import { Command } from 'commander';
import { userInfo } from 'node:os';
import { existingModel, pointAlias, removeAlias, removeVersion } from '../functions/models/lifecycle.js';
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
    console.error(`model: ${(err as Error).message}${signInHint(err as Error)}`);
    process.exit(1);
  }
};

program.command('alias <name> <alias> <version>').description('point an alias at an existing version').action(run(async (name, alias, version) => {
  const move = await pointAlias(store(), name, alias, version, by);
  console.log(`${name}: ${alias} ${move.from ?? '(new)'} -> ${move.to}`);
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
  for (const m of await s.readHistory(name)) console.log(`${m.at}  ${m.alias}: ${m.from ?? '-'} -> ${m.to ?? '(removed)'}  by ${m.by}`);
}));

program.command('list [name]').description('models, their versions and aliases').action(run(async (name) => {
  const s = store();
  const names = name ? [name] : await s.listModelNames();
  for (const n of names) {
    const i = await existingModel(s, n);
    console.log(`${n}: versions ${i.versions.join(', ')}; ${Object.entries(i.aliases).map(([a, v]) => `${a} -> ${v}`).join(', ')}`);
  }
}));

await program.parseAsync();
