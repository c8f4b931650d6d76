import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One finding of the Bicep compiler or linter, from its SARIF output (`--diagnostics-format sarif`). */
export interface BicepDiagnostic {
  file: string;
  line: number;
  column: number;
  level: 'error' | 'warning' | 'info';
  /** A linter rule (`no-unused-params`) or a compiler code (`BCP318`). */
  code: string;
  message: string;
}

interface SarifLog {
  runs?: {
    results?: {
      ruleId?: string;
      level?: string;
      message?: { text?: string };
      locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number; charOffset?: number } } }[];
    }[];
  }[];
}

// SARIF's default level is warning; `note` is Bicep's info.
const levels: Record<string, BicepDiagnostic['level']> = { error: 'error', warning: 'warning', note: 'info', none: 'info' };

/**
 * The diagnostics in Bicep's SARIF output (one document or several), each once (a module's show up again under the
 * file that uses it), with paths relative to `root`.
 */
export function diagnosticsFromSarif(sarif: string | string[], root: string): BicepDiagnostic[] {
  const logs = (Array.isArray(sarif) ? sarif : [sarif]).map((s) => JSON.parse(s) as SarifLog);
  const seen = new Map<string, BicepDiagnostic>();
  for (const result of logs.flatMap((log) => log.runs ?? []).flatMap((r) => r.results ?? [])) {
    const location = result.locations?.[0]?.physicalLocation;
    const uri = location?.artifactLocation?.uri ?? '';
    const d: BicepDiagnostic = {
      file: relative(root, uri.startsWith('file:') ? fileURLToPath(uri) : uri),
      line: location?.region?.startLine ?? 0,
      column: location?.region?.charOffset ?? 0,
      level: levels[result.level ?? 'warning'] ?? 'warning',
      code: result.ruleId ?? '',
      message: (result.message?.text ?? '').replace(/\s*\[https:\/\/aka\.ms\/[^\]]+\]$/, ''),
    };
    seen.set(`${d.file}:${d.line}:${d.column}:${d.code}`, d);
  }
  return [...seen.values()];
}

/** `infra/main.bicep:14:43 warning BCP318: ...`, as an editor links it. */
export const formatDiagnostic = (d: BicepDiagnostic): string => `${d.file}:${d.line}:${d.column} ${d.level} ${d.code}: ${d.message}`;

/** What fails the check: every error and every warning. Info (notes) never fails. */
export const failing = (diagnostics: BicepDiagnostic[]): BicepDiagnostic[] => diagnostics.filter((d) => d.level !== 'info');
