import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The app's root folder (the one holding host.json), from source or from dist/. */
function findAppRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'host.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`host.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const appRoot = findAppRoot(dirname(fileURLToPath(import.meta.url)));
export const rHandlerDir = join(appRoot, 'r-handler');
/** The built browser pages (`npm run build`: scripts/buildPages.ts), one folder per page. */
export const pagesDir = join(appRoot, 'dist', 'pages');
