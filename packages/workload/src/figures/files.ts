import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasBlocks, readBlocks, writeBlocks } from './blocks.js';
import { renderFigures } from './render.js';
import { readRawResults } from './sources.js';

/** Where the figures go, from the repository root. */
export const FIGURES_FILE = 'docs/figures.md';

/** The repository root, from this file. */
export const REPOSITORY_ROOT: string = new URL('../../../../', import.meta.url).pathname;

/** The READMEs that may carry marked blocks: the root one and each workspace's. */
function readmes(root: string): string[] {
  const found = ['README.md'];
  for (const dir of ['packages', 'apps']) {
    if (!existsSync(join(root, dir))) continue;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    ))
      if (entry.isDirectory() && existsSync(join(root, dir, entry.name, 'README.md')))
        found.push(`${dir}/${entry.name}/README.md`);
  }
  return found.filter((path) => existsSync(join(root, path)));
}

/**
 * What `pnpm figures` makes of the raw results under `root`: docs/figures.md and every README
 * with marked blocks, by path from `root`, with the content each should have.
 */
export function expectedFiles(root: string): Map<string, string> {
  const figures = renderFigures(readRawResults(root));
  const blocks = readBlocks(figures, FIGURES_FILE);
  const files = new Map([[FIGURES_FILE, figures]]);
  for (const path of readmes(root)) {
    const text = readFileSync(join(root, path), 'utf8');
    if (hasBlocks(text)) files.set(path, writeBlocks(text, blocks, path));
  }
  return files;
}

/** The paths among `files` whose content under `root` differs (or that do not exist). */
export function staleFiles(root: string, files: ReadonlyMap<string, string>): string[] {
  return [...files]
    .filter(([path, text]) => {
      const file = join(root, path);
      return !existsSync(file) || readFileSync(file, 'utf8') !== text;
    })
    .map(([path]) => path);
}
