import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './run.js';
import { repoRoot } from './workspace.js';

const gitIdentity = ['-c', 'user.name=hitpool rehearsal', '-c', 'user.email=rehearsal@localhost'];

/**
 * Copy the working tree (tracked files plus new, not ignored ones: what a commit would hold)
 * to `dest`, install it from pnpm's store with the frozen lockfile, and make it a git repo on
 * `main` so changesets can diff and tag. Versioning and publishing then happen in the copy,
 * never in the real working tree.
 */
export async function copyWorkingTree(dest: string): Promise<void> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: repoRoot,
    },
  );
  for (const file of stdout.split('\0')) {
    if (file === '') continue;
    const from = join(repoRoot, file);
    // Deleted-but-tracked files and submodule folders are not part of the tree to release.
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    const to = join(dest, file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
  await run('pnpm', ['install', '--offline', '--frozen-lockfile', '--reporter=silent'], {
    cwd: dest,
    timeoutMs: 180_000,
  });
  await git(dest, 'init', '-q', '-b', 'main');
  await commitAll(dest, 'rehearsal: working tree');
}

/** `git <args>` in `cwd` with a fixed identity. */
export function git(cwd: string, ...args: string[]): Promise<{ stdout: string }> {
  return run('git', [...gitIdentity, ...args], { cwd });
}

/** Commit everything in the copy, as a maintainer would before releasing. */
export async function commitAll(cwd: string, message: string): Promise<void> {
  await git(cwd, 'add', '-A');
  await git(cwd, 'commit', '-q', '--no-verify', '--allow-empty', '-m', message);
}
