import { execa } from 'execa';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';

/**
 * The real Bicep CLI, restored through NuGet (`Azure.Bicep.CommandLine.linux-x64`, a
 * self-contained binary under `tools/`) into a cache folder the repository ignores, and
 * reused from there. Only `dotnet` is needed: no Azure CLI, no download from elsewhere.
 */
export const BICEP_PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';
export const BICEP_VERSION = '0.49.2';
export const bicepCacheDir = join(appRoot, '.cache', 'bicep');

/** The Bicep CLI cannot be had here: why, and what to do about it. */
export class BicepUnavailable extends Error {
  readonly code = 'bicep_unavailable';
  constructor(
    message: string,
    readonly hint: string,
    readonly detail = '',
  ) {
    super(message);
    this.name = 'BicepUnavailable';
  }
}

/** The project `dotnet restore` reads: it downloads the one package, builds nothing. */
export function restoreProject(targetFramework: string, packagesDir: string): string {
  return `<Project Sdk="Microsoft.NET.Sdk">
  <!-- Written by scripts/infra/bicepCli.ts: restores the Bicep CLI into ${packagesDir}. -->
  <PropertyGroup>
    <TargetFramework>${targetFramework}</TargetFramework>
    <DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences>
    <RestorePackagesPath>${packagesDir}</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="${BICEP_PACKAGE}" Version="[${BICEP_VERSION}]" />
  </ItemGroup>
</Project>
`;
}

/** Where the restored binary is (NuGet lower-cases the package folder). */
export const bicepBinary = (cacheDir = bicepCacheDir): string => join(cacheDir, 'packages', BICEP_PACKAGE.toLowerCase(), BICEP_VERSION, 'tools', 'bicep');

const dotnetEnv = { DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' };

const exists = (path: string) => stat(path).then(() => true, () => false);

export interface RestoredBicep {
  path: string;
  /** Whether this call restored it (false: it was in the cache already). */
  restored: boolean;
}

/**
 * The Bicep CLI's path, restored with `dotnet restore` unless the cache has it. Throws
 * BicepUnavailable when this machine cannot have it (no dotnet, not linux-x64, a failed restore).
 */
export async function restoreBicep(cacheDir = bicepCacheDir, dotnet = 'dotnet'): Promise<RestoredBicep> {
  const path = bicepBinary(cacheDir);
  if (await exists(path)) {
    // NuGet does not keep the executable bit: set it again in case the cache was copied.
    await chmod(path, 0o755);
    return { path, restored: false };
  }
  if (platform() !== 'linux' || arch() !== 'x64') {
    throw new BicepUnavailable(`the Bicep CLI package restored here is for linux-x64, and this machine is ${platform()}-${arch()}`, 'run `npm run infra:check` on Linux x64 (as CI does), or compile with your own Bicep CLI: `bicep build infra/main.bicep`');
  }
  const version = await execa(dotnet, ['--version'], { reject: false, env: dotnetEnv });
  if (version.failed) {
    throw new BicepUnavailable(
      '`dotnet` (the .NET SDK) was not found, and the Bicep CLI is restored with it',
      'install the .NET SDK, 8 or later (learn.microsoft.com/dotnet/core/install/linux), so that `dotnet --version` works, then run `npm run infra:check` again',
      version.stderr || String(version.message),
    );
  }
  const major = /^(\d+)\./.exec(version.stdout.trim())?.[1];
  const restoreDir = join(cacheDir, 'restore');
  await mkdir(restoreDir, { recursive: true });
  const project = join(restoreDir, 'bicep-cli.csproj');
  await writeFile(project, restoreProject(`net${major ?? '8'}.0`, join(cacheDir, 'packages')));
  const restore = await execa(dotnet, ['restore', project, '--nologo', '--verbosity', 'quiet'], { reject: false, all: true, env: dotnetEnv });
  if (restore.failed || !(await exists(path))) {
    throw new BicepUnavailable(
      `\`dotnet restore\` could not restore ${BICEP_PACKAGE} ${BICEP_VERSION} from NuGet`,
      'check that NuGet is reachable (`dotnet nuget list source`) and serves this package, then run `npm run infra:check` again',
      restore.all ?? '',
    );
  }
  await chmod(path, 0o755);
  return { path, restored: true };
}

export interface BicepRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the Bicep CLI from the repository root; a non-zero exit is returned, not thrown. */
export async function runBicep(bicep: string, args: string[]): Promise<BicepRun> {
  const r = await execa(bicep, args, { cwd: appRoot, reject: false, env: { DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
  if (r.exitCode === undefined) throw new Error(`${bicep} did not run: ${r.message}`);
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
