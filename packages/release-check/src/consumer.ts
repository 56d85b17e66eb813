import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandFailedError, cleanEnv, run } from './run.js';
import { repoRoot } from './workspace.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'consumer');

/** Where a consumer gets the packages from. */
export type ConsumerSource =
  | { registry: string } // `@hitpool` scope from this registry, the rest from the usual one
  | { tarballs: readonly string[] };

/** What npm installed for `@hitpool/*` in a consumer. */
export interface InstalledPackages {
  /** Installed version per package name. */
  versions: Record<string, string>;
  /** The range the installed @hitpool/hits asks for @hitpool/pool. */
  poolRange: string | undefined;
  /** Manifests under node_modules/@hitpool that still contain `workspace:`. */
  workspaceLeftovers: string[];
  /** `npm ls` saw @hitpool/pool as a dependency of @hitpool/hits (not a link, not missing). */
  poolIsDependencyOfHits: boolean;
}

/**
 * A fresh npm project in `dir` (outside the workspace) with the consumer files, then plain
 * `npm install @hitpool/hits` from the registry (or `npm install` of the tarballs).
 */
export async function createConsumer(
  dir: string,
  source: ConsumerSource,
  freshness: Freshness = 'prefer-offline',
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'hitpool-consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(dir, file));
  let specs: string[];
  if ('registry' in source) {
    writeFileSync(join(dir, '.npmrc'), `@hitpool:registry=${source.registry}\n`);
    specs = ['@hitpool/hits'];
  } else {
    specs = [...source.tarballs];
  }
  await install(dir, specs, freshness);
}

/**
 * How npm treats its metadata cache. `prefer-offline` reuses cached package documents (fast,
 * works offline once ioredis is cached); `prefer-online` revalidates them, needed to see a
 * version published to the throwaway registry after an earlier install in the same run.
 */
export type Freshness = 'prefer-offline' | 'prefer-online';

/** `npm install <specs>` in the consumer: what a user types. */
export async function install(
  dir: string,
  specs: readonly string[],
  freshness: Freshness = 'prefer-offline',
): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', `--${freshness}`, ...specs], {
    cwd: dir,
    env: cleanEnv(),
    timeoutMs: 180_000,
  });
}

/** Read what landed in node_modules/@hitpool, and where npm placed @hitpool/pool. */
export async function inspectInstall(dir: string): Promise<InstalledPackages> {
  const scopeDir = join(dir, 'node_modules', '@hitpool');
  const versions: Record<string, string> = {};
  const workspaceLeftovers: string[] = [];
  let poolRange: string | undefined;
  for (const name of existsSync(scopeDir) ? readdirSync(scopeDir) : []) {
    const file = join(scopeDir, name, 'package.json');
    const text = readFileSync(file, 'utf8');
    const manifest = JSON.parse(text) as {
      name: string;
      version: string;
      dependencies?: Record<string, string>;
    };
    versions[manifest.name] = manifest.version;
    if (text.includes('workspace:')) workspaceLeftovers.push(file);
    if (manifest.name === '@hitpool/hits') poolRange = manifest.dependencies?.['@hitpool/pool'];
  }
  const { stdout } = await run('npm', ['ls', '@hitpool/pool', '--all', '--json'], {
    cwd: dir,
    env: cleanEnv(),
  });
  const tree = JSON.parse(stdout) as {
    dependencies?: Record<string, { dependencies?: Record<string, { version?: string }> }>;
  };
  const viaHits = tree.dependencies?.['@hitpool/hits']?.dependencies?.['@hitpool/pool'];
  return {
    versions,
    poolRange,
    workspaceLeftovers,
    poolIsDependencyOfHits: viaHits?.version === versions['@hitpool/pool'],
  };
}

/** What one consumer script printed on success. */
export interface ConsumerRun {
  module: 'esm' | 'cjs';
  node: string;
  value: string;
  hits: number;
}

/**
 * Run `file` (esm.mjs or cjs.cjs) with `node` against the Redis at `redisUrl`. It must finish
 * and exit 0 by itself within 30 s: a timer or socket left open fails the run.
 */
export async function runConsumer(
  dir: string,
  node: string,
  file: 'esm.mjs' | 'cjs.cjs',
  redisUrl: string,
  key: string,
): Promise<ConsumerRun> {
  const { stdout } = await run(node, [file], {
    cwd: dir,
    env: cleanEnv({ REDIS_URL: redisUrl, HIT_KEY: key }),
    timeoutMs: 30_000,
  }).catch((error: unknown) => {
    if (error instanceof CommandFailedError && error.exit.startsWith('did not finish')) {
      throw new Error(
        `${file} on ${node} did not exit by itself: something (a timer, a socket) kept it alive`,
        { cause: error },
      );
    }
    throw error;
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as ConsumerRun;
}

/**
 * Type-check the consumer files with tsc as users compile: node16 (types.mts through the
 * `import` condition, types.cts through `require`) and bundler. Throws with tsc's output.
 */
export async function typecheckConsumer(dir: string): Promise<void> {
  const common = {
    target: 'es2022',
    strict: true,
    noEmit: true,
    // As most projects compile (tsc --init sets it): checking all of @types/node and ioredis
    // costs ~10 s per run here. Our own declarations are checked by tsup's dts build and attw,
    // and types.mts fails if they degrade to `any`.
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules', '@types')],
  };
  const configs = {
    'tsconfig.node16.json': {
      compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16' },
      files: ['types.mts', 'types.cts'],
    },
    'tsconfig.bundler.json': {
      compilerOptions: { ...common, module: 'preserve', moduleResolution: 'bundler' },
      files: ['types.mts'],
    },
  };
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
  for (const [name, config] of Object.entries(configs)) {
    writeFileSync(join(dir, name), `${JSON.stringify(config, null, 2)}\n`);
    await run(tsc, ['-p', name], { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 });
  }
}
