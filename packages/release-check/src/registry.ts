import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, waitFor } from '@hitpool/testing';
import { run } from './run.js';
import type { Scratch } from './scratch.js';
import { repoRoot } from './workspace.js';

/** Verdaccio release the rehearsal runs; it declares Node >= 22 and runs on our Node 24. */
export const VERDACCIO_VERSION = '6.10.4';

/**
 * Where Verdaccio is installed: a tool folder beside the pinned Node and pnpm, git-ignored and
 * outside the workspace, so it never enters pnpm-lock.yaml or a published package's deps.
 */
export const verdaccioDir: string = join(repoRoot, '.tools', 'verdaccio');

/** A throwaway registry on loopback with a logged-in publisher. */
export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** The host part npm keys auth by: `//127.0.0.1:PORT/` */
  readonly authKey: string;
  /** Token of the user allowed to publish. */
  readonly token: string;
  /** The registry's document for a package (`versions`, `dist-tags`, ...), or undefined if unknown. */
  packument(name: string): Promise<Packument | undefined>;
}

/** The parts of a registry package document the rehearsal reads. */
export interface Packument {
  'dist-tags': Record<string, string>;
  versions: Record<string, { dependencies?: Record<string, string> }>;
}

/**
 * Install Verdaccio with plain npm into {@link verdaccioDir} unless that version is there.
 * pnpm cannot install it into the workspace: verdaccio-audit asks for `node-fetch@cjs`, a
 * dist-tag the registry here does not have; the override pins the CommonJS line it means.
 */
export async function ensureVerdaccio(): Promise<string> {
  const bin = join(verdaccioDir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  const installed = join(verdaccioDir, 'node_modules', 'verdaccio', 'package.json');
  if (existsSync(installed)) {
    const { version } = JSON.parse(readFileSync(installed, 'utf8')) as { version: string };
    if (version === VERDACCIO_VERSION) return bin;
  }
  mkdirSync(verdaccioDir, { recursive: true });
  const manifest = {
    private: true,
    description: 'Installed by @hitpool/release-check for the install rehearsal.',
    dependencies: { verdaccio: VERDACCIO_VERSION },
    overrides: { 'node-fetch': '2.7.0' },
  };
  writeFileSync(join(verdaccioDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: verdaccioDir,
    timeoutMs: 300_000,
  });
  return bin;
}

function http(
  method: 'GET' | 'PUT',
  url: string,
  body?: unknown,
  auth?: string,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: 10_000,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(auth ? { authorization: auth } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Start Verdaccio on a free loopback port with its storage, config and users in
 * `scratch.dir/registry`; no uplinks, so only what we publish is there. Stopped by
 * `scratch.close()`.
 */
export async function startRegistry(scratch: Scratch): Promise<LocalRegistry> {
  const bin = await ensureVerdaccio();
  const home = join(scratch.dir, 'registry');
  mkdirSync(join(home, 'storage'), { recursive: true });
  const config = [
    `storage: ${join(home, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(home, 'htpasswd')}`,
    '    max_users: 1',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    'web:',
    '  enable: false',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n');
  writeFileSync(join(home, 'config.yaml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(
    process.execPath,
    [bin, '--config', join(home, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  scratch.track(child);
  let log = '';
  const collect = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  try {
    await waitFor(
      `Verdaccio to answer on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`Verdaccio exited (${child.exitCode})`);
        return http('GET', `${url}-/ping`).then(
          (res) => res.status === 200,
          () => false,
        );
      },
      30_000,
      100,
    );
  } catch (error) {
    throw new Error(`Verdaccio did not start: ${(error as Error).message}\n${log}`, {
      cause: error,
    });
  }
  const user = { name: 'rehearsal', password: `pw-${port}-${process.pid}` };
  const created = await http('PUT', `${url}-/user/org.couchdb.user:${user.name}`, user);
  const token = (created.json as { token?: string }).token;
  if (created.status !== 201 || !token) {
    throw new Error(`could not create a publisher on Verdaccio: ${JSON.stringify(created.json)}`);
  }
  return {
    url,
    authKey: `//127.0.0.1:${port}/`,
    token,
    async packument(name) {
      const res = await http(
        'GET',
        `${url}${name.replace('/', '%2f')}`,
        undefined,
        `Bearer ${token}`,
      );
      return res.status === 200 ? (res.json as Packument) : undefined;
    },
  };
}
