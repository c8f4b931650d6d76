/**
 * npm run test:stress: the test suite under load, to show it passes on a busy machine.
 * Runs `npm test`'s vitest and testthat parts (after the build the npm script does) several
 * times in a row while busy-loop processes keep every core busy, then writes a short report
 * (each run's wall time, failures by test name) to test/artifacts/stress-report.md and
 * prints it. Exits 1 if any run failed.
 *
 *   npm run test:stress                        3 runs, one spinner per core
 *   npm run test:stress -- --runs 5 --spinners 1
 *   npm run test:stress -- --no-load           the same runs on the machine as it is
 *   npm run test:stress -- --no-r -- test/integration/faults.test.ts   (vitest filters after --)
 *
 * The spinners are this script's own child processes: it stops them when it ends, however
 * it ends (an error, SIGINT, SIGTERM, SIGHUP), and each also stops by itself after
 * --max-minutes, should this script be killed outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { appRoot } from '../functions/paths.js';

interface Options {
  runs: number;
  spinners: number;
  maxMinutes: number;
  r: boolean;
  report: string;
  vitestArgs: string[];
}

const USAGE = `usage: npm run test:stress -- [--runs N] [--spinners N | --no-load] [--max-minutes M] [--no-r] [--report FILE] [-- vitest filters...]`;

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 3, spinners: availableParallelism(), maxMinutes: 0, r: true, report: join(appRoot, 'test', 'artifacts', 'stress-report.md'), vitestArgs: [] };
  const count = (flag: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs a whole number of at least ${min}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      o.vitestArgs = argv.slice(i + 1);
      break;
    } else if (arg === '--runs') o.runs = count(arg, argv[++i], 1);
    else if (arg === '--spinners') o.spinners = count(arg, argv[++i], 0);
    else if (arg === '--no-load') o.spinners = 0;
    else if (arg === '--max-minutes') o.maxMinutes = count(arg, argv[++i], 1);
    else if (arg === '--no-r') o.r = false;
    else if (arg === '--report') o.report = argv[++i] ?? o.report;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else o.vitestArgs.push(arg);
  }
  // Long enough for every run (CI's whole run takes about 9 minutes on an idle 2-core machine).
  if (o.maxMinutes === 0) o.maxMinutes = 20 * o.runs + 10;
  return o;
}

/** Busy loops, one per process, each ending by itself at `endsAt` at the latest. */
class Spinners {
  readonly #children: ChildProcess[] = [];

  start(n: number, endsAt: number): void {
    for (let i = 0; i < n; i++) {
      const child = spawn(process.execPath, ['-e', `const end = ${endsAt}; while (Date.now() < end) {}`], { stdio: 'ignore' });
      child.on('error', () => undefined);
      this.#children.push(child);
    }
  }

  get running(): number {
    return this.#children.filter((c) => c.exitCode === null && c.signalCode === null).length;
  }

  /** Synchronous, so that it can run in an 'exit' handler. */
  stop(): void {
    for (const child of this.#children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

interface Part {
  ok: boolean;
  ms: number;
  summary: string;
  failures: string[];
  log: string;
}

/** The test run under way, stopped with this script. */
const current = new Set<ChildProcess>();

/** Runs a command with its output to `log`; resolves with its exit code and wall time. */
function run(command: string, args: string[], log: string, env: Record<string, string> = {}): Promise<{ code: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const out = createWriteStream(log);
    const child = spawn(command, args, { cwd: appRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    current.add(child);
    child.on('exit', () => current.delete(child));
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.on('error', (err) => out.write(`\n${command} failed to start: ${err.message}\n`));
    child.on('close', (code, signal) => {
      out.end(() => resolve({ code: code ?? (signal ? 128 : 1), ms: Date.now() - started }));
    });
  });
}

interface VitestJson {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  testResults?: { name: string; status: string; message?: string; assertionResults?: { ancestorTitles?: string[]; title: string; status: string }[] }[];
}

async function vitestPart(i: number, dir: string, args: string[]): Promise<Part> {
  const json = join(dir, `run-${i}-vitest.json`);
  const log = join(dir, `run-${i}-vitest.log`);
  await rm(json, { force: true });
  const { code, ms } = await run(join(appRoot, 'node_modules', '.bin', 'vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`, ...args], log, { FORCE_COLOR: '0' });
  let result: VitestJson | undefined;
  try {
    result = JSON.parse(await readFile(json, 'utf8')) as VitestJson;
  } catch {
    result = undefined;
  }
  const failures: string[] = [];
  for (const file of result?.testResults ?? []) {
    const name = relative(appRoot, file.name);
    const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const t of failed) failures.push([name, ...(t.ancestorTitles ?? []), t.title].join(' > '));
    // A file can fail with no test failing (a hook, an import): name the file then.
    if (file.status === 'failed' && failed.length === 0) failures.push(`${name} (the file: ${(file.message ?? 'failed').split('\n')[0]})`);
  }
  if (code !== 0 && failures.length === 0) failures.push(`vitest exited with ${code} (see ${relative(appRoot, log)})`);
  const summary = result ? `${result.numPassedTests ?? 0} passed, ${result.numFailedTests ?? 0} failed${result.numPendingTests ? `, ${result.numPendingTests} skipped` : ''}` : 'no results';
  return { ok: code === 0, ms, summary, failures, log };
}

async function testthatPart(i: number, dir: string): Promise<Part> {
  const log = join(dir, `run-${i}-testthat.log`);
  // As `npm run test:r` runs it.
  const { code, ms } = await run('Rscript', ['r-handler/tests/testthat.R'], log, { R_SCORING_MODELS: 'r-handler/examples/models' });
  const text = await readFile(log, 'utf8').catch(() => '');
  const failures = [...text.matchAll(/^── \d+\. (Failure|Error) \((.*?)\): (.*?) ─*$/gm)].map((m) => `testthat ${m[2]} > ${m[3]} (${(m[1] as string).toLowerCase()})`);
  if (code !== 0 && failures.length === 0) failures.push(`testthat exited with ${code} (see ${relative(appRoot, log)})`);
  const summary = /^R: (\d+ passed, \d+ failed, \d+ skipped)$/m.exec(text)?.[1] ?? 'no summary';
  return { ok: code === 0, ms, summary, failures, log };
}

const duration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
};

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const dir = join(appRoot, 'test', 'artifacts', 'stress');
  await mkdir(dir, { recursive: true });
  const spinners = new Spinners();
  const stop = (signal: NodeJS.Signals) => {
    spinners.stop();
    for (const child of current) child.kill('SIGTERM');
    console.error(`\nstress: ${signal}: spinners stopped, the test run under way told to stop`);
    process.exit(130);
  };
  process.on('exit', () => spinners.stop());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));

  const began = new Date();
  const load = loadavg().map((l) => l.toFixed(2)).join(', ');
  const runs: { vitest: Part; r?: Part; ms: number; spinners: number }[] = [];
  const endsAt = Date.now() + o.maxMinutes * 60_000;
  try {
    if (o.spinners > 0) {
      spinners.start(o.spinners, endsAt);
      console.log(`stress: ${o.spinners} spinner(s) busy, until the runs end (at most ${o.maxMinutes} min)`);
    }
    for (let i = 1; i <= o.runs; i++) {
      console.log(`stress: run ${i} of ${o.runs}: vitest${o.vitestArgs.length ? ` ${o.vitestArgs.join(' ')}` : ''}${o.r ? ', then testthat' : ''}`);
      const busy = spinners.running;
      const started = Date.now();
      const vitest = await vitestPart(i, dir, o.vitestArgs);
      console.log(`stress: run ${i}: vitest ${vitest.ok ? 'passed' : 'FAILED'} (${vitest.summary}) in ${duration(vitest.ms)}`);
      const r = o.r ? await testthatPart(i, dir) : undefined;
      if (r) console.log(`stress: run ${i}: testthat ${r.ok ? 'passed' : 'FAILED'} (${r.summary}) in ${duration(r.ms)}`);
      runs.push({ vitest, ...(r ? { r } : {}), ms: Date.now() - started, spinners: Math.min(busy, spinners.running) });
      if (o.spinners > 0 && spinners.running < o.spinners) console.log(`stress: only ${spinners.running} spinner(s) left (past --max-minutes?)`);
    }
  } finally {
    spinners.stop();
  }

  const failed = runs.filter((r) => !r.vitest.ok || (r.r && !r.r.ok));
  const byTest = new Map<string, number[]>();
  runs.forEach((r, i) => {
    for (const f of [...r.vitest.failures, ...(r.r?.failures ?? [])]) byTest.set(f, [...(byTest.get(f) ?? []), i + 1]);
  });
  const lines = [
    `# Stress run, ${began.toISOString()}`,
    '',
    `${availableParallelism()} cores; load average at the start ${load}. ${o.spinners > 0 ? `${o.spinners} busy-loop process(es) kept running beside the tests.` : 'No extra load.'}`,
    `Each run: \`vitest run${o.vitestArgs.length ? ` ${o.vitestArgs.join(' ')}` : ''}\`${o.r ? ' then `npm run test:r` (testthat)' : ''}, after \`npm run build\`.`,
    '',
    '| Run | Spinners | Wall time | vitest | testthat |',
    '| --- | --- | --- | --- | --- |',
    ...runs.map((r, i) => `| ${i + 1} | ${r.spinners} | ${duration(r.ms)} | ${r.vitest.ok ? 'passed' : '**failed**'}: ${r.vitest.summary} (${duration(r.vitest.ms)}) | ${r.r ? `${r.r.ok ? 'passed' : '**failed**'}: ${r.r.summary} (${duration(r.r.ms)})` : 'not run'} |`),
    '',
    `**${runs.length - failed.length} of ${runs.length} runs passed.**`,
    '',
    '## Failures by test',
    '',
    ...(byTest.size === 0 ? ['None.'] : [...byTest].map(([name, at]) => `- ${name}: run${at.length > 1 ? 's' : ''} ${at.join(', ')}`)),
    '',
    `Logs: ${relative(appRoot, dir)}/run-<n>-vitest.log, run-<n>-testthat.log.`,
    '',
  ];
  const report = lines.join('\n');
  await mkdir(join(o.report, '..'), { recursive: true });
  await writeFile(o.report, report);
  console.log(`\n${report}\n(written to ${relative(appRoot, o.report)})`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(2);
  },
);
