import { join } from 'node:path';
import { tarballBudgets } from './budgets.js';
import { entryImportProblems } from './entry-imports.js';
import { CommandFailedError, run } from './run.js';
import { readTarball, type Tarball } from './tarball.js';
import { repoRoot, type WorkspacePackage } from './workspace.js';

/** What users need from a tarball; anything else is noise they download. */
const ALLOWED_FILE = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+)$/;

/** Runtime dependencies a published hitpool package may have. */
const ALLOWED_DEPENDENCY = /^(ioredis|@hitpool\/[a-z-]+)$/;

/** A semver range npm understands, as `workspace:^` must become when packed. */
const SEMVER_RANGE = /^[\^~]?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The outcome of checking one package's tarball. */
export interface PackageReport {
  name: string;
  version: string;
  tarball: Tarball;
  budgetBytes: number | undefined;
  /** Every problem found; empty means the package is fine to publish. */
  problems: string[];
}

const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);

/** `pnpm pack` the package into `outDir` (pnpm applies publishConfig and workspace ranges). */
export async function packPackage(pkg: WorkspacePackage, outDir: string): Promise<string> {
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', outDir, '--json'], {
    cwd: pkg.dir,
  });
  const start = stdout.indexOf('{');
  const { filename } = JSON.parse(stdout.slice(start)) as { filename: string };
  return filename;
}

/** Problems with a package.json as published (after pnpm applied publishConfig). */
export function manifestProblems(manifest: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const text = JSON.stringify(manifest);
  if (text.includes('workspace:')) problems.push('packed package.json still contains "workspace:"');
  if (manifest.sideEffects !== false) problems.push('"sideEffects" must be false');
  const engines = manifest.engines as Record<string, string> | undefined;
  if (!engines?.node) problems.push('"engines.node" is missing');
  const exportsMap = manifest.exports as Record<string, unknown> | undefined;
  const root = exportsMap?.['.'] as Record<string, Record<string, string>> | undefined;
  for (const condition of ['import', 'require'] as const) {
    const entry = root?.[condition];
    if (!entry?.types || !entry.default) {
      problems.push(`exports["."].${condition} needs its own "types" and "default"`);
    } else if (!entry.default.startsWith('./dist/')) {
      problems.push(`exports["."].${condition}.default points outside dist/: ${entry.default}`);
    }
  }
  if (exportsMap?.['./package.json'] !== './package.json') {
    problems.push('"./package.json" is not exported');
  }
  // npm rejects a provenance statement whose repository does not match package.json's
  // `repository`: fail here, before anything is published, when the release asks for one.
  const repository = manifest.repository as { url?: string } | string | undefined;
  const repositoryUrl = typeof repository === 'string' ? repository : repository?.url;
  if (/^(true|1)$/i.test(process.env.PNPM_CONFIG_PROVENANCE ?? '') && !repositoryUrl) {
    problems.push('"repository.url" is missing; npm refuses provenance without it');
  }
  const dependencies = (manifest.dependencies ?? {}) as Record<string, string>;
  for (const [name, range] of Object.entries(dependencies)) {
    if (!ALLOWED_DEPENDENCY.test(name)) {
      problems.push(`runtime dependency ${name} is not allowed (only ioredis and @hitpool/*)`);
    }
    if (name.startsWith('@hitpool/') && !SEMVER_RANGE.test(range)) {
      problems.push(`dependency ${name}@${range} is not a plain semver range`);
    }
  }
  return problems;
}

async function tool(name: string, args: readonly string[], cwd: string): Promise<string[]> {
  try {
    await run(bin(name), args, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return [];
  } catch (error) {
    if (!(error instanceof CommandFailedError)) throw error;
    const output = `${error.output.stdout}\n${error.output.stderr}`.trim();
    return [`${name} failed:\n${output}`];
  }
}

/**
 * Pack one package and check the tarball as users will get it: publint
 * (strict), Are the Types Wrong, the published manifest, the file list, what
 * each entry point loads, and the size budget.
 */
export async function checkPackage(pkg: WorkspacePackage, outDir: string): Promise<PackageReport> {
  const file = await packPackage(pkg, outDir);
  const tarball = readTarball(file);
  const problems = manifestProblems(tarball.manifest);
  for (const entry of tarball.entries) {
    if (!ALLOWED_FILE.test(entry.path)) problems.push(`unexpected file in tarball: ${entry.path}`);
  }
  problems.push(...entryImportProblems(tarball));
  problems.push(...(await tool('publint', ['run', file, '--strict'], pkg.dir)));
  problems.push(...(await tool('attw', [file, '--format', 'ascii', '--no-emoji'], pkg.dir)));
  const budgetBytes = tarballBudgets[pkg.manifest.name];
  if (budgetBytes === undefined) {
    problems.push(`no size budget: add ${pkg.manifest.name} to src/budgets.ts`);
  } else if (tarball.packedBytes > budgetBytes) {
    problems.push(
      `tarball is ${tarball.packedBytes} B, over its budget of ${budgetBytes} B: ` +
        'make it smaller, or raise the budget in src/budgets.ts and say why in the PR',
    );
  }
  return {
    name: pkg.manifest.name,
    version: pkg.manifest.version,
    tarball,
    budgetBytes,
    problems,
  };
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

/** One line per package: sizes against budget, file count, verdict. */
export function formatReport(report: PackageReport): string {
  const { tarball } = report;
  const budget =
    report.budgetBytes === undefined ? 'no budget' : `budget ${kB(report.budgetBytes)}`;
  const used =
    report.budgetBytes === undefined
      ? ''
      : ` (${Math.round((tarball.packedBytes / report.budgetBytes) * 100)}%)`;
  const verdict = report.problems.length === 0 ? 'ok' : `${report.problems.length} problem(s)`;
  const mapBytes = tarball.entries
    .filter((entry) => entry.path.endsWith('.map'))
    .reduce((sum, entry) => sum + entry.size, 0);
  return (
    `${report.name}@${report.version}: tarball ${kB(tarball.packedBytes)} of ${budget}${used}, ` +
    `unpacked ${kB(tarball.unpackedBytes)} in ${tarball.entries.length} files ` +
    `(source maps ${kB(mapBytes)}); ` +
    `publint --strict, attw, manifest, files: ${verdict}`
  );
}
