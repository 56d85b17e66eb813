import { isBuiltin } from 'node:module';
import { posix } from 'node:path';
import type { Tarball } from './tarball.js';

/** `import … from 'x'`, `import 'x'`, `import('x')`, `export … from 'x'`, `require('x')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * The packages a built file loads at run time, following its relative imports through the
 * tarball's other files (chunks shared between entry points), Node built-ins left out.
 */
export function packagesImportedBy(tarball: Tarball, entry: string): Set<string> {
  const files = new Map(tarball.entries.map((e) => [e.path, e.content.toString('utf8')]));
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = files.get(path);
    if (text === undefined) return;
    for (const [, specifier] of text.matchAll(SPECIFIER)) {
      if (specifier === undefined) continue;
      if (specifier.startsWith('.')) visit(posix.join(posix.dirname(path), specifier));
      else if (!isBuiltin(specifier)) packages.add(packageOf(specifier));
    }
  };
  visit(entry.replace(/^\.\//, ''));
  return packages;
}

/**
 * Problems with what the entry points load: the main entry (`exports["."]`, both builds) may
 * load only `dependencies`, so an optional peer (such as `@opentelemetry/api` for
 * `@hitpool/pool/otel`) is never needed by users who do not use the entry that wants it; every
 * other entry may load `dependencies` and `peerDependencies`.
 */
export function entryImportProblems(tarball: Tarball): string[] {
  const { manifest } = tarball;
  const dependencies = Object.keys((manifest.dependencies ?? {}) as Record<string, string>);
  const peers = Object.keys((manifest.peerDependencies ?? {}) as Record<string, string>);
  const exportsMap = (manifest.exports ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const [subpath, target] of Object.entries(exportsMap)) {
    if (typeof target !== 'object' || target === null) continue;
    const allowed = new Set(subpath === '.' ? dependencies : [...dependencies, ...peers]);
    for (const condition of ['import', 'require'] as const) {
      const file = (target as Record<string, { default?: string } | undefined>)[condition]?.default;
      if (file === undefined) continue;
      for (const name of packagesImportedBy(tarball, file)) {
        if (!allowed.has(name)) {
          problems.push(
            `exports["${subpath}"].${condition} (${file}) loads ${name}, which is not among its ${subpath === '.' ? 'dependencies' : 'dependencies or peerDependencies'}`,
          );
        }
      }
    }
  }
  return problems;
}
