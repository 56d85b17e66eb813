// The package checks of `pnpm release`, as tests: each published package, packed as publishing
// will pack it, must pass publint --strict, attw, the manifest and file rules and its budget.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage, formatReport } from '../src/package-checks.js';
import { publishedPackages } from '../src/workspace.js';

describe('package checks', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'hitpool-pack-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  for (const pkg of publishedPackages()) {
    it(`${pkg.manifest.name}: publint --strict, attw, manifest, files, size budget`, async () => {
      const report = await checkPackage(pkg, outDir);
      console.log(formatReport(report));
      expect(report.problems).toEqual([]);
    });
  }
});
