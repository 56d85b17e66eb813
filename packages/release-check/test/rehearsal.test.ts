// The install rehearsal: release the working tree to a throwaway registry exactly as
// `pnpm release` would, then install it the way users do and use it for real.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomPrefix } from '@hitpool/testing';
// Brings the harness's typing of inject('redisUrl') into this program.
import type {} from '@hitpool/testing/global-setup';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createConsumer,
  inspectInstall,
  install,
  runConsumer,
  typecheckConsumer,
} from '../src/consumer.js';
import { findOldestNode } from '../src/node-binaries.js';
import { type LocalRegistry, startRegistry } from '../src/registry.js';
import { commitAll, copyWorkingTree, git } from '../src/repo-copy.js';
import { cleanEnv, run } from '../src/run.js';
import { createScratch, type Scratch } from '../src/scratch.js';
import { publishedPackages, repoRoot, workspacePackages } from '../src/workspace.js';

interface PlannedRelease {
  name: string;
  type: 'none' | 'patch' | 'minor' | 'major';
  oldVersion: string;
  newVersion: string;
}

/**
 * What `version-packages` and `release` would change in a working tree: package versions,
 * CHANGELOG files, the pending changesets. The rehearsal must leave the real tree's as it found
 * them. (Not a whole `git status`: teammates edit the shared tree while tests run.)
 */
function releaseFootprint(root: string): { versions: Record<string, string>; files: string[] } {
  const files = readdirSync(join(root, '.changeset')).map((name) => `.changeset/${name}`);
  for (const pkg of workspacePackages(root)) {
    if (existsSync(join(pkg.dir, 'CHANGELOG.md'))) files.push(join(pkg.dir, 'CHANGELOG.md'));
  }
  return { versions: versionsIn(root), files: files.sort() };
}

function versionsIn(root: string): Record<string, string> {
  return Object.fromEntries(
    workspacePackages(root).map((pkg) => [pkg.manifest.name, pkg.manifest.version]),
  );
}

describe('install rehearsal', () => {
  let scratch: Scratch;
  let registry: LocalRegistry;
  let copy: string;
  let releaseEnv: NodeJS.ProcessEnv;
  const redisUrl = inject('redisUrl');
  const node20 = findOldestNode();
  const published = publishedPackages().map((pkg) => pkg.manifest.name);
  const footprintAtStart = releaseFootprint(repoRoot);

  /** `changeset status` in the copy: what `pnpm version-packages` is about to do. */
  async function plan(): Promise<PlannedRelease[]> {
    await run('pnpm', ['exec', 'changeset', 'status', '--output', 'release-plan.json'], {
      cwd: copy,
      env: releaseEnv,
    });
    const file = join(copy, 'release-plan.json');
    const { releases } = JSON.parse(readFileSync(file, 'utf8')) as { releases: PlannedRelease[] };
    rmSync(file);
    return releases.filter((release) => release.type !== 'none');
  }

  /** Apply the plan with the real root script and check nothing else moved. */
  async function versionPackages(releases: PlannedRelease[]): Promise<Record<string, string>> {
    const before = versionsIn(copy);
    await run('pnpm', ['run', 'version-packages'], { cwd: copy, env: releaseEnv });
    const after = versionsIn(copy);
    const expected = { ...before };
    for (const release of releases) expected[release.name] = release.newVersion;
    expect(after).toEqual(expected);
    for (const pkg of workspacePackages(copy).filter((p) => p.manifest.private)) {
      expect(existsSync(join(pkg.dir, 'CHANGELOG.md')), `${pkg.manifest.name} CHANGELOG`).toBe(
        false,
      );
    }
    await commitAll(copy, 'Version packages');
    return after;
  }

  /** `pnpm release` in the copy, pointed at the throwaway registry. */
  async function release(): Promise<string> {
    const { stdout, stderr } = await run('pnpm', ['run', 'release'], {
      cwd: copy,
      env: releaseEnv,
      timeoutMs: 240_000,
    });
    return stdout + stderr;
  }

  // The steps build on each other: after the first failure, the rest say so instead of
  // failing with confusing follow-on errors.
  let failedStep: string | undefined;
  function step(name: string, body: () => Promise<void>): void {
    it(name, async () => {
      if (failedStep) throw new Error(`not run: the step "${failedStep}" failed first`);
      try {
        await body();
      } catch (error) {
        failedStep = name;
        throw error;
      }
    });
  }

  beforeAll(async () => {
    scratch = createScratch();
    copy = join(scratch.dir, 'repo');
    [registry] = await Promise.all([startRegistry(scratch), copyWorkingTree(copy)]);
    const npmrc = join(scratch.dir, 'publisher.npmrc');
    writeFileSync(
      npmrc,
      `registry=${registry.url}\n${registry.authKey}:_authToken=${registry.token}\n`,
    );
    // The userconfig, pnpm's env setting and npm's all name the throwaway registry (pnpm 12
    // ignores npm_config_registry; npm reads nothing else), and we check pnpm agrees before
    // anything is published: a rehearsal must never reach the real registry.
    releaseEnv = cleanEnv({
      NPM_CONFIG_USERCONFIG: npmrc,
      PNPM_CONFIG_REGISTRY: registry.url,
      npm_config_registry: registry.url,
      TURBO_TELEMETRY_DISABLED: '1',
      TURBO_NO_UPDATE_NOTIFIER: '1',
    });
    const { stdout } = await run('pnpm', ['config', 'get', 'registry'], {
      cwd: copy,
      env: releaseEnv,
    });
    if (stdout.trim() !== registry.url) {
      throw new Error(`pnpm would publish to ${stdout.trim()}, not to ${registry.url}; stopping`);
    }
  });

  afterAll(async () => {
    await scratch?.close();
  });

  step('versions with the pending changesets: only published packages move', async () => {
    const releases = await plan();
    for (const { name } of releases) expect(published).toContain(name);
    const versions = await versionPackages(releases);
    for (const name of published) expect(versions[name]).toMatch(/^\d+\.\d+\.\d+/);
  });

  step('publishes with `pnpm release`: build, package checks, changeset publish', async () => {
    const output = await release();
    expect(output).toContain('package checks:');
    const versions = versionsIn(copy);
    for (const name of published) {
      const doc = await registry.packument(name);
      expect(doc?.['dist-tags'].latest, name).toBe(versions[name]);
    }
    const hits = await registry.packument('@hitpool/hits');
    const hitsDeps = hits?.versions[versions['@hitpool/hits'] ?? '']?.dependencies ?? {};
    // hits sends through the pool's internal transport: a ~ range, so a hits release is never
    // paired with a pool minor whose internals it does not know.
    expect(hitsDeps['@hitpool/pool']).toBe(`~${versions['@hitpool/pool']}`);
    const { stdout: tags } = await git(copy, 'tag', '--list');
    expect(tags).toContain(`@hitpool/pool@${versions['@hitpool/pool']}`);
  });

  step(
    'installs @hitpool/hits with plain npm; @hitpool/pool arrives as a normal semver dependency',
    async () => {
      const dir = join(scratch.dir, 'consumer');
      await createConsumer(dir, { registry: registry.url });
      const installed = await inspectInstall(dir);
      const versions = versionsIn(copy);
      expect(installed.versions).toEqual({
        '@hitpool/hits': versions['@hitpool/hits'],
        '@hitpool/pool': versions['@hitpool/pool'],
      });
      expect(installed.poolRange).toBe(`~${versions['@hitpool/pool']}`);
      expect(installed.workspaceLeftovers).toEqual([]);
      expect(installed.poolIsDependencyOfHits).toBe(true);
      // Users call createPool themselves, so they add pool too; npm dedupes it.
      await install(dir, ['@hitpool/pool']);
    },
  );

  for (const file of ['esm.mjs', 'cjs.cjs'] as const) {
    for (const label of ['Node 24', 'Node 20'] as const) {
      step(`${file} on ${label}: a real get with hit counting, then exits by itself`, async () => {
        const node = label === 'Node 24' ? process.execPath : node20.path;
        const key = randomPrefix('rehearsal');
        const result = await runConsumer(join(scratch.dir, 'consumer'), node, file, redisUrl, key);
        expect(result).toMatchObject({ module: file.slice(0, 3), value: 'hello', hits: 2 });
        expect(result.node).toMatch(label === 'Node 24' ? /^v24\./ : /^v20\./);
      });
    }
  }

  step(
    'type-checks a consumer with tsc under moduleResolution node16 (ESM and CJS) and bundler',
    async () => {
      await typecheckConsumer(join(scratch.dir, 'consumer'));
    },
  );

  step(
    'a changeset patching only @hitpool/pool releases only pool; a fresh install gets it',
    async () => {
      const before = versionsIn(copy);
      writeFileSync(
        join(copy, '.changeset', 'rehearsal-pool-patch.md'),
        "---\n'@hitpool/pool': patch\n---\n\nRehearsal: a pool-only fix.\n",
      );
      const releases = await plan();
      // hits depends on pool through `workspace:^`, which a patch still satisfies, so
      // `updateInternalDependencies: patch` leaves hits (and its published range) alone.
      expect(releases.map(({ name, type }) => ({ name, type }))).toEqual([
        { name: '@hitpool/pool', type: 'patch' },
      ]);
      const after = await versionPackages(releases);
      expect(after['@hitpool/pool']).not.toBe(before['@hitpool/pool']);
      await release();
      const pool = await registry.packument('@hitpool/pool');
      expect(Object.keys(pool?.versions ?? {}).sort()).toEqual(
        [before['@hitpool/pool'], after['@hitpool/pool']].sort(),
      );
      expect(pool?.['dist-tags'].latest).toBe(after['@hitpool/pool']);
      const hits = await registry.packument('@hitpool/hits');
      expect(Object.keys(hits?.versions ?? {})).toEqual([before['@hitpool/hits']]);

      const dir = join(scratch.dir, 'consumer-after-patch');
      // prefer-online: npm cached this registry's documents before the patch was published.
      await createConsumer(dir, { registry: registry.url }, 'prefer-online');
      const installed = await inspectInstall(dir);
      expect(installed.versions).toEqual({
        '@hitpool/hits': before['@hitpool/hits'],
        '@hitpool/pool': after['@hitpool/pool'],
      });
      expect(installed.poolIsDependencyOfHits).toBe(true);
      await install(dir, ['@hitpool/pool'], 'prefer-online');
      const result = await runConsumer(
        dir,
        process.execPath,
        'esm.mjs',
        redisUrl,
        randomPrefix('patched'),
      );
      expect(result.hits).toBe(2);
    },
  );

  it('stops the registry, removes every temp folder and leaves the working tree as it was', async () => {
    const dir = scratch.dir;
    await scratch.close();
    expect(existsSync(dir)).toBe(false);
    await expect(registry.packument('@hitpool/pool')).rejects.toThrow(/ECONNREFUSED/);
    // Versioning and publishing happened in the copy only.
    expect(releaseFootprint(repoRoot)).toEqual(footprintAtStart);
  });
});
