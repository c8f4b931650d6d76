import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { BicepUnavailable, restoreBicep, runBicep } from '../../scripts/infra/bicepCli.js';
import { diagnosticsFromSarif, failing, formatDiagnostic } from '../../scripts/infra/bicepDiagnostics.js';
import { splitJsonDocuments } from '../../scripts/infra/compileInfra.js';

const sarif = (results: unknown[]) => JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'bicep' } }, results }] });
const result = (ruleId: string, level: string | undefined, line: number) => ({
  ruleId,
  ...(level ? { level } : {}),
  message: { text: `${ruleId} found [https://aka.ms/bicep/linter-diagnostics#${ruleId}]` },
  locations: [{ physicalLocation: { artifactLocation: { uri: `file://${join(appRoot, 'infra', 'main.bicep')}` }, region: { startLine: line, charOffset: 3 } } }],
});

describe('Bicep diagnostics', () => {
  it('reads SARIF: levels (absent is a warning), paths from the repository, each finding once', () => {
    const one = sarif([result('no-unused-params', 'error', 1), result('BCP318', undefined, 2), result('use-recent-api-versions', 'note', 3)]);
    const ds = diagnosticsFromSarif(splitJsonDocuments(`${one}\n${one}`), appRoot);
    expect(ds.map((d) => [d.code, d.level])).toEqual([['no-unused-params', 'error'], ['BCP318', 'warning'], ['use-recent-api-versions', 'info']]);
    expect(formatDiagnostic(ds[1]!)).toBe('infra/main.bicep:2:3 warning BCP318: BCP318 found');
    // Warnings fail the check as errors do; notes never.
    expect(failing(ds).map((d) => d.code)).toEqual(['no-unused-params', 'BCP318']);
  });

  it('splits documents printed one after another, braces inside strings included', () => {
    expect(splitJsonDocuments('{"a":"}{"}\n{"b":{"c":1}}').map((d) => JSON.parse(d))).toEqual([{ a: '}{' }, { b: { c: 1 } }]);
  });
});

// The rules infra/bicepconfig.json makes errors, each broken once in a fixture: a rule the
// config misnames would be silently ignored by Bicep, and this would fail.
const ci = process.env.CI === 'true';
const bicep = await restoreBicep().catch((err: unknown) => {
  if (err instanceof BicepUnavailable && !ci) {
    console.warn(`bicepconfig test skipped: ${err.message}; to get it: ${err.hint}`);
    return undefined;
  }
  throw err;
});

describe.skipIf(!bicep)('infra/bicepconfig.json', () => {
  it('makes each rule a careful deployment needs an error', async () => {
    const r = await runBicep(bicep!.path, ['lint', 'test/fixtures/infra/violations.bicep', '--config', 'infra/bicepconfig.json', '--diagnostics-format', 'sarif']);
    const errors = new Set(diagnosticsFromSarif(splitJsonDocuments(r.stdout), appRoot).filter((d) => d.level === 'error').map((d) => d.code));
    const rules = [
      'secure-secrets-in-params',
      'outputs-should-not-contain-secrets',
      'secure-parameter-default',
      'protect-commandtoexecute-secrets',
      'no-hardcoded-env-urls',
      'no-unused-params',
      'no-unused-vars',
      'no-unused-existing-resources',
      'prefer-interpolation',
      'simplify-interpolation',
      'use-stable-resource-identifiers',
      'use-resource-id-functions',
      'use-secure-value-for-secure-inputs',
    ];
    expect(rules.filter((rule) => !errors.has(rule))).toEqual([]);
    expect(r.exitCode).not.toBe(0);
  });
});
