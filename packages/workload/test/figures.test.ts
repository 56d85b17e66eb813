// docs/figures.md and the README blocks are made by `pnpm figures` from the raw results in
// docs/results/, never by hand: this regenerates them in memory and compares.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { expectedFiles, FIGURES_FILE, REPOSITORY_ROOT } from '../src/figures/files.js';

it('docs/figures.md and every README block are what `pnpm figures` makes of docs/results', () => {
  const files = expectedFiles(REPOSITORY_ROOT);
  expect(files.has(FIGURES_FILE)).toBe(true);
  for (const [path, text] of files) {
    let committed: string | undefined;
    try {
      committed = readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
    } catch {
      committed = undefined;
    }
    expect
      .soft(
        committed,
        `${path} is not what \`pnpm figures\` makes of docs/results: run \`pnpm figures\` (and commit a new raw result to change a figure, never the figure itself)`,
      )
      .toBe(text);
  }
});
