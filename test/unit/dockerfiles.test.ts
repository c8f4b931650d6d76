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

  it('the app image carries the built app, its production modules and host.json where package.json points', () => {
    const text = read('Dockerfile');
    expect(text).toMatch(/^FROM mcr\.microsoft\.com\/azure-functions\/node:4-node20$/m);
    expect(finalCopies(text)).toEqual(expect.arrayContaining(['/src/package.json', '/src/host.json', '/src/node_modules', '/src/dist']));
    expect(text).toContain('npm prune --omit=dev');
    const main = JSON.parse(read('package.json')).main as string;
    expect(main).toMatch(/^dist\/functions\/index\.js$/);
  });

  it('the handler image runs as a non-root user', () => {
    expect(read('r-handler/Dockerfile')).toMatch(/^USER 10001$/m);
  });
});
