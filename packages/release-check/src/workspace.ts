import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (where pnpm-workspace.yaml lives). */
export const repoRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The parts of a package.json these checks read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** A workspace package: its folder and manifest. */
export interface WorkspacePackage {
  dir: string;
  manifest: Manifest;
}

/** Read and parse a package.json. */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every workspace package under `packages/` and `apps/` of `root`. */
export function workspacePackages(root: string = repoRoot): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir).sort()) {
      const dir = join(groupDir, name);
      if (existsSync(join(dir, 'package.json'))) found.push({ dir, manifest: readManifest(dir) });
    }
  }
  return found;
}

/** The packages that go to npm: every workspace package not marked `private`. */
export function publishedPackages(root: string = repoRoot): WorkspacePackage[] {
  return workspacePackages(root).filter((pkg) => pkg.manifest.private !== true);
}
