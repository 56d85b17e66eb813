import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { redisBinary } from './binaries.js';
import { recordServerPid, trackServerDir } from './cleanup.js';
import { freePort } from './ports.js';
import { waitUntilReady } from './wait.js';

const execFileAsync = promisify(execFile);

/** ioredis options without `replyMapping`, whose optional type clashes with exactOptionalPropertyTypes. */
export type ClientOptions = Omit<RedisOptions, 'replyMapping'>;

/** An ACL user to create at start-up. */
export interface RedisAclUser {
  name: string;
  password: string;
  /** ACL rules after the password; default `~* &* +@all`. */
  rules?: string;
}

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Path of `redis-server`; default `REDIS_SERVER`, else the first one on `PATH`. */
  binary?: string;
  /** Port; default a free loopback port. */
  port?: number;
  /** `requirepass` for the default user. */
  password?: string;
  /** Extra ACL users. */
  users?: readonly RedisAclUser[];
  /** `maxclients`; default Redis's own (10000). */
  maxclients?: number;
  /** Any other config flags, as `{ 'hz': 50 }` → `--hz 50`. */
  config?: Readonly<Record<string, string | number>>;
  /** Start as a Sentinel (`--sentinel`). */
  sentinel?: boolean;
  /** Lines written to the config file before the flags (Sentinel needs a writable file). */
  configFileLines?: readonly string[];
  /** Milliseconds to wait for PING; default 10000. */
  readyTimeoutMs?: number;
}

/** A redis-server process started by the harness, with controls for fault tests. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:port` (default user). */
  readonly url: string;
  /** The private working dir (config, nodes.conf, logs). */
  readonly dir: string;
  /** Current pid, or undefined while stopped. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** A new ioredis client to this server (caller quits it). */
  connect(options?: ClientOptions): Redis;
  /** Run `redis-cli -p port ...args` and return its stdout. */
  cli(...args: string[]): Promise<string>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** Start again on the same port and dir (after kill/stop); waits for PING. */
  start(): Promise<void>;
  /** kill() then start(), optionally after `downMs`. */
  restart(options?: { downMs?: number; hard?: boolean }): Promise<void>;
  /** SIGSTOP: the socket stays open, nothing answers. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** `CLIENT PAUSE ms ALL`. */
  clientPause(ms: number): Promise<void>;
  /** Connected clients as reported by `INFO clients`. */
  connectedClients(): Promise<number>;
  /** Stop and remove the dir. Idempotent. */
  close(): Promise<void>;
}

function logTail(dir: string): string {
  try {
    return readFileSync(`${dir}/redis.log`, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}

function buildArgs(port: number, dir: string, options: RedisServerOptions): string[] {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    `${dir}/redis.log`,
    '--protected-mode',
    'no',
  ];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  if (options.maxclients !== undefined) args.push('--maxclients', String(options.maxclients));
  for (const [key, value] of Object.entries(options.config ?? {}))
    args.push(`--${key}`, String(value));
  if (options.sentinel) args.push('--sentinel');
  return args;
}

/** Start a redis-server on a free loopback port; resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  // redis-cli is looked up only when `cli()` needs it, so a machine with redis-server alone can
  // start servers (the demo does).
  const serverBinary = options.binary ?? redisBinary('redis-server');
  const port =
    options.port ??
    (await freePort({ withBusPort: options.config?.['cluster-enabled'] === 'yes' }));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;
  const { dir, release } = trackServerDir(() => child?.pid);
  const configFile = `${dir}/redis.conf`;
  const userLines = (options.users ?? []).map(
    (user) => `user ${user.name} on >${user.password} ${user.rules ?? '~* &* +@all'}`,
  );
  writeFileSync(configFile, `${[...userLines, ...(options.configFileLines ?? [])].join('\n')}\n`);
  const args = [configFile, ...buildArgs(port, dir, options)];
  const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';

  const isRunning = () =>
    child !== undefined && child.exitCode === null && child.signalCode === null;

  async function start(): Promise<void> {
    if (closed) throw new Error('server was closed');
    if (isRunning()) return;
    const proc = spawn(serverBinary, args, { stdio: 'ignore' });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    if (proc.pid !== undefined) recordServerPid(dir, proc.pid);
    try {
      await waitUntilReady(port, {
        timeoutMs: options.readyTimeoutMs ?? 10_000,
        isAlive: () => proc.exitCode === null,
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}; last log lines:\n${logTail(dir)}`, {
        cause: error,
      });
    }
  }

  async function signalAndWait(signal: NodeJS.Signals): Promise<void> {
    if (!isRunning()) return;
    child?.kill('SIGCONT');
    child?.kill(signal);
    await exited;
  }

  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    dir,
    get pid() {
      return isRunning() ? child?.pid : undefined;
    },
    get running() {
      return isRunning();
    },
    connect: (redisOptions = {}) =>
      new Redis({
        host: '127.0.0.1',
        port,
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...redisOptions,
      }),
    async cli(...cliArgs) {
      const authArgs =
        options.password !== undefined ? ['--no-auth-warning', '-a', options.password] : [];
      const { stdout } = await execFileAsync(redisBinary('redis-cli'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        ...authArgs,
        ...cliArgs,
      ]);
      return stdout;
    },
    kill: () => signalAndWait('SIGKILL'),
    stop: () => signalAndWait('SIGTERM'),
    start,
    async restart({ downMs = 0, hard = true } = {}) {
      await signalAndWait(hard ? 'SIGKILL' : 'SIGTERM');
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    freeze() {
      if (isRunning()) child?.kill('SIGSTOP');
    },
    thaw() {
      if (isRunning()) child?.kill('SIGCONT');
    },
    async clientPause(ms) {
      await server.cli('CLIENT', 'PAUSE', String(ms), 'ALL');
    },
    async connectedClients() {
      const info = await server.cli('INFO', 'clients');
      const match = /connected_clients:(\d+)/.exec(info);
      return match ? Number(match[1]) : 0;
    },
    async close() {
      if (closed) return;
      await signalAndWait('SIGKILL');
      closed = true;
      release();
    },
  };
  try {
    await start();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}
