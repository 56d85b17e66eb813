// Package checks for every published package, run by `pnpm test` and `pnpm release`:
// pack with pnpm (as publishing will), then publint --strict, attw, the published
// manifest, the file list and the size budget. Exits 1 if any package has a problem.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackage, formatReport } from './package-checks.js';
import { publishedPackages } from './workspace.js';

const outDir = mkdtempSync(join(tmpdir(), 'hitpool-pack-'));
try {
  const packages = publishedPackages();
  if (packages.length === 0) throw new Error('no published packages found');
  let failed = 0;
  for (const pkg of packages) {
    const report = await checkPackage(pkg, outDir);
    console.log(formatReport(report));
    for (const problem of report.problems)
      console.error(`  ✗ ${problem.replaceAll('\n', '\n    ')}`);
    if (report.problems.length > 0) failed++;
  }
  console.log(`package checks: ${packages.length - failed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
