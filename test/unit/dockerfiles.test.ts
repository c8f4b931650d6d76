import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';

const read = (path: string) => readFileSync(join(appRoot, path), 'utf8');
const dockerfiles = ['Dockerfile', 'r-handler/Dockerfile'];

/** The destinations of a Dockerfile's final stage's COPY lines, by source. */
function finalCopies(text: string): string[] {
  const stages = text.split(/^FROM /m);
  const last = stages[stages.length - 1] as string;
  return [...last.matchAll(/^COPY (?:--from=\S+ )?(.+)$/gm)].flatMap((m) => (m[1] as string).trim().split(/\s+/).slice(0, -1));
}

describe('container images', () => {
  it.each(dockerfiles)('%s installs exactly the apt package list CI installs', (file) => {
    const text = read(file);
    expect(text).toContain('COPY r-handler/apt-packages.txt /tmp/apt-packages.txt');
    expect(text).toMatch(/grep -v '\^\\s\*#' \/tmp\/apt-packages\.txt \| xargs apt-get install -y --no-install-recommends/);
    expect(text).not.toMatch(/apt-get install[^\n]*r-cran-/);
    expect(read('.ci/run')).toContain("grep -v '^\\s*#' r-handler/apt-packages.txt");
  });

  it.each(dockerfiles)('%s copies every R file the handler sources at run time', (file) => {
    const copies = finalCopies(read(file));
    expect(copies).toEqual(expect.arrayContaining(['r-handler/main.R', 'r-handler/worker.R', 'r-handler/R']));
    expect(readdirSync(join(appRoot, 'r-handler/R')).every((f) => f.endsWith('.R'))).toBe(true);
  });

  it('the app image carries the built app, its production modules, host.json and the R files where package.json points', () => {
    const text = read('Dockerfile');
    expect(finalCopies(text)).toEqual(
      expect.arrayContaining(['/src/package.json', '/src/host.json', '/src/node_modules', '/src/dist', 'r-handler/main.R', 'r-handler/worker.R', 'r-handler/describe.R', 'r-handler/R']),
    );
    expect(text).toMatch(/^RUN npm ci .*$/m);
    expect(text).toContain('npx tsc -p tsconfig.json');
    expect(text).toContain('npm prune --omit=dev');
    const main = JSON.parse(read('package.json')).main as string;
    expect(main).toMatch(/^dist\/functions\/index\.js$/);
  });

  // The R packages come from Debian, so an image's R is its Debian's R: every image must be
  // Debian 12 (bookworm), the Debian CI runs on and tests with. The Functions Node 22 image
  // (4-node22) is Debian 12; the Node 20 one (4-node20) is Debian 11, with R 4.0.4 and no
  // r-cran-palmerpenguins (Azure/azure-functions-docker README.md, host/4/bookworm/node/node22/).
  it('builds on Debian 12 (bookworm) images only, the app on the Functions Node 22 image', () => {
    const app = read('Dockerfile');
    const froms = (text: string) => [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1] as string);
    expect(froms(app)).toEqual(['node:22-bookworm-slim', 'mcr.microsoft.com/azure-functions/node:4-node22']);
    expect(app).toMatch(/^FROM node:22-bookworm-slim AS build$/m);
    expect(froms(read('r-handler/Dockerfile'))).toEqual(['debian:bookworm-slim']);
  });

  it('the handler image runs as a non-root user', () => {
    expect(read('r-handler/Dockerfile')).toMatch(/^USER 10001$/m);
  });
});
