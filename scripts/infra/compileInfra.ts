import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';
import { bicepCacheDir, restoreBicep, runBicep } from './bicepCli.js';
import { diagnosticsFromSarif, type BicepDiagnostic } from './bicepDiagnostics.js';
import type { ArmTemplate } from './resolveTemplate.js';

/** The Bicep azd deploys (azure.yaml: infra path `infra`, module `main`), and where its ARM JSON goes. */
export const infraDir = join(appRoot, 'infra');
export const mainBicep = join(infraDir, 'main.bicep');
export const compiledTemplatePath = (cacheDir = bicepCacheDir): string => join(cacheDir, 'main.json');

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Bicep prints one SARIF document per file it lints, one after the other: split them. */
export function splitJsonDocuments(text: string): string[] {
  const docs: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) docs.push(text.slice(start, i + 1));
  }
  return docs;
}

export interface InfraBuild {
  /** The ARM JSON of infra/main.bicep, and of each .bicepparam file. */
  outputs: string[];
  diagnostics: BicepDiagnostic[];
  /** A build that failed outright (exit code and what it printed), besides its diagnostics. */
  failures: string[];
}

/**
 * Compiles infra/main.bicep (and any infra/*.bicepparam) to ARM JSON in the cache, and
 * lints every .bicep file under infra/ with infra/bicepconfig.json: the real compiler's
 * type checks against the resource types it ships, and the linter's rules.
 */
export async function buildInfra(bicep: string, cacheDir = bicepCacheDir, options: { lint?: boolean } = {}): Promise<InfraBuild> {
  const files = await filesUnder(infraDir);
  const sarif: string[] = [];
  const failures: string[] = [];
  const outputs: string[] = [];
  const build = async (command: string, input: string, outFile: string) => {
    const r = await runBicep(bicep, [command, input, '--outfile', outFile, '--diagnostics-format', 'sarif']);
    const docs = splitJsonDocuments(r.stderr);
    sarif.push(...docs);
    if (r.exitCode !== 0) failures.push(`bicep ${command} ${input} exited with ${r.exitCode}${docs.length === 0 ? `: ${r.stderr.trim()}` : ''}`);
    else outputs.push(outFile);
  };
  await build('build', mainBicep, compiledTemplatePath(cacheDir));
  for (const params of files.filter((f) => f.endsWith('.bicepparam'))) {
    await build('build-params', params, join(cacheDir, params.slice(infraDir.length + 1).replace(/[\\/]/g, '-').replace(/\.bicepparam$/, '.parameters.json')));
  }
  if (options.lint !== false) {
    const r = await runBicep(bicep, ['lint', '--pattern', 'infra/**/*.bicep', '--diagnostics-format', 'sarif']);
    const docs = splitJsonDocuments(r.stdout);
    sarif.push(...docs);
    if (r.exitCode !== 0 && docs.length === 0) failures.push(`bicep lint exited with ${r.exitCode}: ${r.stderr.trim()}`);
  }
  return { outputs, diagnostics: diagnosticsFromSarif(sarif, appRoot), failures };
}

/**
 * The compiled ARM template of infra/main.bicep, as the tests read it: the cached JSON when
 * it is newer than everything under infra/ and the compiler, else compiled now (restoring
 * the Bicep CLI if need be). Throws BicepUnavailable when the CLI cannot be had here.
 */
export async function compiledTemplate(cacheDir = bicepCacheDir): Promise<ArmTemplate> {
  const { path: bicep } = await restoreBicep(cacheDir);
  const out = compiledTemplatePath(cacheDir);
  const built = await stat(out).then((s) => s.mtimeMs, () => 0);
  const sources = await Promise.all([bicep, ...(await filesUnder(infraDir))].map((f) => stat(f).then((s) => s.mtimeMs)));
  if (built === 0 || sources.some((m) => m > built)) {
    const result = await buildInfra(bicep, cacheDir, { lint: false });
    if (result.failures.length > 0) throw new Error(`infra/main.bicep does not compile:\n${result.failures.join('\n')}\n${result.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}: ${d.message}`).join('\n')}`);
  }
  return JSON.parse(await readFile(out, 'utf8')) as ArmTemplate;
}
