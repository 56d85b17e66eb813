// `pnpm figures`: docs/figures.md and the README blocks from the raw results in docs/results/.
// `pnpm figures --check` writes nothing and exits 1 when a file differs from what it would write.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expectedFiles, REPOSITORY_ROOT, staleFiles } from './files.js';

const check = process.argv.includes('--check');
const files = expectedFiles(REPOSITORY_ROOT);
const stale = staleFiles(REPOSITORY_ROOT, files);
if (check) {
  for (const path of stale) process.stderr.write(`figures: ${path} differs from its raw results\n`);
  if (stale.length > 0) process.stderr.write('figures: run `pnpm figures` to write them\n');
  process.exitCode = stale.length > 0 ? 1 : 0;
} else {
  for (const path of stale) {
    const file = join(REPOSITORY_ROOT, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, files.get(path) ?? '');
    process.stdout.write(`figures: wrote ${path}\n`);
  }
  process.stdout.write(
    `figures: ${files.size - stale.length} of ${files.size} files were already up to date\n`,
  );
}
