/**
 * Builds the browser pages (`npm run build`, after tsc): each pages/<page>/ holding an
 * index.html becomes dist/pages/<page>/, which functions/http/pages.ts serves at /api/<page>/.
 *
 * The page's main.ts or main.tsx is bundled with everything it imports from node_modules (its
 * CSS too) into main-<hash>.js and main-<hash>.css, named by content so they can be cached for
 * good; index.html, which names them as main.js and main.css, is copied with their hashed names,
 * and so are the page's own .css files. A page loads nothing from anywhere else: the build
 * fails if index.html names a file it did not produce, a URL elsewhere, or inline code the
 * pages' Content-Security-Policy would refuse.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { appRoot, pagesDir } from '../functions/paths.js';

const sourceDir = join(appRoot, 'pages');

/** Bundles the page's entry into `out`; the hashed names of what index.html calls main.js and main.css. */
async function bundle(entry: string, out: string): Promise<Record<string, string>> {
  const result = await build({
    entryPoints: [entry],
    outdir: out,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: 'linked',
    loader: { '.woff2': 'file', '.woff': 'file', '.png': 'file', '.svg': 'file' },
    metafile: true,
    logLevel: 'warning',
  });
  const names: Record<string, string> = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    names['main.js'] = basename(file);
    if (output.cssBundle) names['main.css'] = basename(output.cssBundle);
  }
  return names;
}

/** What in index.html the pages' CSP would refuse or the page would miss: files from elsewhere or not built, inline code. */
function htmlProblems(html: string, files: string[]): string[] {
  const problems: string[] = [];
  for (const [, link] of html.matchAll(/<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]*)"/gi) as Iterable<[string, string]>) {
    if (link.startsWith('data:')) continue;
    if (/^(?:[a-z]+:|\/\/)/i.test(link)) problems.push(`loads ${link} from elsewhere`);
    else if (!files.includes(link.replace(/^\.\//, ''))) problems.push(`loads ${link}, which the build did not produce`);
  }
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) problems.push('has an inline <script>');
  if (/<style\b|\sstyle=|\son[a-z]+=/i.test(html)) problems.push('has an inline style or event handler');
  return problems;
}

async function buildPage(page: string): Promise<void> {
  const src = join(sourceDir, page);
  const out = join(pagesDir, page);
  await mkdir(out, { recursive: true });
  const sources = await readdir(src);
  const entry = ['main.ts', 'main.tsx'].find((f) => sources.includes(f));
  const names = entry ? await bundle(join(src, entry), out) : {};
  for (const css of sources.filter((f) => f.endsWith('.css'))) await copyFile(join(src, css), join(out, css));
  const html = (await readFile(join(src, 'index.html'), 'utf8')).replace(
    /\b(src|href)="(?:\.\/)?(main\.js|main\.css)"/g,
    (whole, attr: string, name: string) => (names[name] ? `${attr}="${names[name]}"` : whole),
  );
  const built = await readdir(out);
  const problems = htmlProblems(html, built);
  if (problems.length > 0) throw new Error(`pages/${page}/index.html ${problems.join('; ')}`);
  await writeFile(join(out, 'index.html'), html);
  console.log(`built ${page}: dist/pages/${page}/ (index.html, ${built.join(', ')})`);
}

await rm(pagesDir, { recursive: true, force: true });
const pages = existsSync(sourceDir) ? (await readdir(sourceDir)).filter((p) => existsSync(join(sourceDir, p, 'index.html'))) : [];
try {
  for (const page of pages) await buildPage(page);
} catch (err) {
  console.error(`buildPages: ${(err as Error).message}`);
  process.exit(1);
}
