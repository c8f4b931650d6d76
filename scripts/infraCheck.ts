import { relative } from 'node:path';
import { appRoot } from '../functions/paths.js';
import { BICEP_VERSION, BicepUnavailable, restoreBicep } from './infra/bicepCli.js';
import { failing, formatDiagnostic } from './infra/bicepDiagnostics.js';
import { buildInfra, mainBicep } from './infra/compileInfra.js';

/**
 * npm run infra:check: compiles infra/main.bicep with the real Bicep CLI (restored through
 * NuGet into .cache/bicep) and lints infra/ with infra/bicepconfig.json. Fails on any error
 * or warning. Where the CLI cannot be had (no dotnet), says what is missing and skips,
 * except with CI=true, where that fails too. `--notes` lists the notes (info) as well.
 */
const ci = process.env.CI === 'true';
const listNotes = process.argv.includes('--notes');
const started = performance.now();
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const rel = (path: string) => relative(appRoot, path);

async function main(): Promise<number> {
  let bicep: string;
  try {
    const restored = await restoreBicep();
    bicep = restored.path;
    console.log(`infra:check: Bicep CLI ${BICEP_VERSION} ${restored.restored ? 'restored with dotnet into' : 'from'} ${rel(restored.path)} (${seconds()})`);
  } catch (err) {
    if (!(err instanceof BicepUnavailable)) throw err;
    console.error(`infra:check: ${err.message}.`);
    console.error(`infra:check: to get it: ${err.hint}.`);
    if (err.detail) console.error(err.detail.trim().split('\n').slice(-20).map((l) => `  | ${l}`).join('\n'));
    if (ci) {
      console.error('infra:check: FAILED: CI=true, where the Bicep check may not be skipped.');
      return 1;
    }
    console.log('infra:check: skipped: infra/main.bicep was not compiled or linted (CI=true makes this a failure).');
    return 0;
  }

  const result = await buildInfra(bicep);
  const bad = failing(result.diagnostics);
  const notes = result.diagnostics.filter((d) => d.level === 'info');
  for (const d of bad) console.error(formatDiagnostic(d));
  if (listNotes) for (const d of notes) console.log(formatDiagnostic(d));
  for (const f of result.failures) console.error(`infra:check: ${f}`);
  const counts = new Map<string, number>();
  for (const d of notes) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  const byCode = [...counts].map(([code, n]) => `${code} x${n}`);
  const count = (level: string) => result.diagnostics.filter((d) => d.level === level).length;
  const summary = `${count('error')} errors, ${count('warning')} warnings, ${notes.length} notes${byCode.length > 0 ? ` (${byCode.join(', ')}; not failing${listNotes ? '' : ', --notes lists them'})` : ''}`;
  if (bad.length > 0 || result.failures.length > 0) {
    console.error(`infra:check: FAILED: ${summary} (${seconds()})`);
    return 1;
  }
  console.log(`infra:check: passed: ${rel(mainBicep)} compiled to ${result.outputs.map(rel).join(', ')}, infra/ linted; ${summary} (${seconds()})`);
  return 0;
}

process.exitCode = await main();
