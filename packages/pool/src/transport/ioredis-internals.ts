/**
 * The one door to ioredis internals. Every member of an ioredis object that is not part of its
 * documented API is named here, read or patched through a function of this module, and listed
 * in {@link IOREDIS_CONTRACT}, which the contract test checks against the installed ioredis
 * (and CI against the newest 6.x release). Nothing outside `src/transport/` casts an ioredis
 * object.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { Cluster, Command, Redis } from 'ioredis';
import { PoolUnsupportedClientError } from '../errors.js';

/** The members of an ioredis `Command` the transport uses. */
export interface CommandInternals {
  name: string;
  args: unknown[];
  isSettled: boolean;
  promise: Promise<unknown>;
  resolve(value: unknown): unknown;
  reject(error: Error): void;
  extractBlockingTimeout(): number | null | undefined;
  /** The hash slot ioredis routes a Cluster command by (it computes it lazily when unset). */
  slot?: number | null;
  /** Reply deadline set by the transport (`performance.now()` ms); see `deadlines.ts`. */
  [DEADLINE]?: number;
}

/** Where the transport keeps a command's reply deadline. */
export const DEADLINE: unique symbol = Symbol('hitpool.deadline');

/** An entry of ioredis's command or offline queue. */
export interface QueueItem {
  readonly command: CommandInternals;
  readonly stream?: unknown;
}

/** The part of denque that ioredis's queues expose and the transport uses. */
export interface CommandDeque {
  readonly length: number;
  peekFront(): QueueItem | undefined;
  peekAt(index: number): QueueItem | undefined;
  shift(): QueueItem | undefined;
}

/** `sendCommand` of a `Redis` or `Cluster`, as the transport wraps it. */
export type SendCommand = (
  this: unknown,
  command: CommandInternals,
  stream?: unknown,
  ...rest: unknown[]
) => unknown;

/** The private state of a standalone (or Sentinel, or Cluster node) ioredis connection. */
export interface RedisInternals {
  sendCommand: SendCommand;
  status: string;
  stream: Socket | undefined;
  commandQueue: CommandDeque;
  offlineQueue: CommandDeque;
  prevCommandQueue: CommandDeque | null | undefined;
  condition: { protocol?: number } | null;
  retryAttempts: number;
  recoverFromFatalError(commandError: unknown, error: unknown, options?: object): void;
  flushQueue(error: Error, options?: object): void;
  connector?: { failoverDetector?: { cleanup(): void } | undefined };
}

/** What {@link ClusterInternals.handleError} gets to act on a redirect. */
export interface RedirectHandlers {
  moved(slot: number, key: string): void;
  ask(slot: number, key: string): void;
  tryagain(): void;
  clusterDown(): void;
  connectionClosed(): void;
  maxRedirections(error: Error): void;
  defaults(): void;
}

/** The private state of an ioredis `Cluster`. */
export interface ClusterInternals {
  sendCommand: SendCommand;
  status: string;
  slots: string[][];
  offlineQueue: CommandDeque;
  handleError(error: Error, ttl: Record<string, unknown>, handlers: RedirectHandlers): void;
  natMapper(key: string): { host: string; port: number };
}

/** A standalone connection's internals. */
export function redisInternals(redis: Redis): RedisInternals {
  return redis as unknown as RedisInternals;
}

/** A Cluster's internals. */
export function clusterInternals(cluster: Cluster): ClusterInternals {
  return cluster as unknown as ClusterInternals;
}

/** A Command's internals. */
export function commandInternals(command: Command): CommandInternals {
  return command as unknown as CommandInternals;
}

/** The installed ioredis version (for error messages and the contract test). */
export const IOREDIS_VERSION: string = (() => {
  try {
    const require = createRequire(import.meta.url);
    return String((require('ioredis/package.json') as { version?: unknown }).version);
  } catch {
    return 'unknown';
  }
})();

/** One internal member the transport relies on, with a check on a live object. */
export interface ContractMember {
  /** e.g. `Redis#commandQueue`. */
  readonly member: string;
  /** What the transport uses it for. */
  readonly use: string;
  /**
   * True when `target` (a fresh lazy client of the right kind) has the member as expected;
   * `null` for a member that only a live connection shows (the contract test checks those).
   */
  readonly check: ((target: Redis | Cluster | Command) => boolean) | null;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';
const isDeque = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as CommandDeque).length === 'number' &&
  isFunction((value as CommandDeque).peekFront) &&
  isFunction((value as CommandDeque).peekAt) &&
  isFunction((value as CommandDeque).shift);
const field = (target: object, name: string): unknown => (target as Record<string, unknown>)[name];

/** Every ioredis member outside its documented API that the transport touches. */
export const IOREDIS_CONTRACT: Readonly<
  Record<'redis' | 'cluster' | 'command', readonly ContractMember[]>
> = {
  redis: [
    {
      member: 'Redis#sendCommand',
      use: 'one interceptor per connection: deadlines, at-most-once, session tracking',
      check: (t) => isFunction(field(t, 'sendCommand')),
    },
    {
      member: 'Redis#commandQueue',
      use: 'written commands awaiting replies: deadline sweep, pending replies on release',
      check: (t) => isDeque(field(t, 'commandQueue')),
    },
    {
      member: 'Redis#offlineQueue',
      use: 'commands waiting for a connection: deadline sweep',
      check: (t) => isDeque(field(t, 'offlineQueue')),
    },
    {
      member: 'Redis#prevCommandQueue',
      use: "commands written on a socket that closed: rejected, never resent (set on 'close')",
      // Only set after a ready connection closed: the contract test checks it on a real server.
      check: null,
    },
    {
      member: 'Redis#recoverFromFatalError',
      use: 'a handshake timeout keeps the commands that were never sent',
      check: (t) => isFunction(field(t, 'recoverFromFatalError')),
    },
    {
      member: 'Redis#flushQueue',
      use: 'commands given up unsent reject with the pool error for why (unavailable, bad credentials or certificate)',
      check: (t) => isFunction(field(t, 'flushQueue')),
    },
    {
      member: 'Redis#retryAttempts',
      use: 'a handshake timeout is not a failed reconnect',
      check: (t) => typeof field(t, 'retryAttempts') === 'number',
    },
    {
      member: 'Redis#condition',
      use: 'the RESP protocol of a connection being reset',
      // Set when a connection starts: the contract test checks it on a real server.
      check: null,
    },
    {
      member: 'Redis#connector',
      use: 'Sentinel: retire the failover detector with its socket',
      check: (t) => typeof field(t, 'connector') === 'object' && field(t, 'connector') !== null,
    },
  ],
  cluster: [
    {
      member: 'Cluster#sendCommand',
      use: 'Cluster-level deadlines (commands queued while slots are discovered)',
      check: (t) => isFunction(field(t, 'sendCommand')),
    },
    {
      member: 'Cluster#handleError',
      use: 'redirect policy: MOVED straight to the named node, backoff within the deadline',
      check: (t) =>
        isFunction(field(t, 'handleError')) && (field(t, 'handleError') as () => void).length === 3,
    },
    {
      member: 'Cluster#natMapper',
      use: 'the address a MOVED reply names, as this client connects to it',
      check: (t) => isFunction(field(t, 'natMapper')),
    },
    {
      member: 'Cluster#offlineQueue',
      use: 'commands queued while the Cluster (re)discovers slots: deadline sweep',
      check: (t) => isDeque(field(t, 'offlineQueue')),
    },
    {
      member: 'Cluster#slots',
      use: 'routing batches to the master of each slot',
      check: (t) => Array.isArray(field(t, 'slots')),
    },
  ],
  command: [
    {
      member: 'Command#slot',
      use: 'route by a spec-exact hash slot (cluster-key-slot gets empty-brace keys wrong)',
      check: () => {
        const probe = commandInternals(new Command('get', ['contract-probe']));
        probe.slot = 7;
        return (probe as unknown as { getSlot(): number }).getSlot() === 7;
      },
    },
    {
      member: 'Command#isSettled',
      use: 'a settled command is never written',
      check: (t) => field(t, 'isSettled') === false,
    },
    {
      member: 'Command#reject',
      use: 'answer a command at its deadline',
      check: (t) => isFunction(field(t, 'reject')),
    },
    {
      member: 'Command#resolve',
      use: 'a command observer (otel operation duration) hears when a command settles',
      check: (t) => isFunction(field(t, 'resolve')),
    },
    {
      member: 'Command#extractBlockingTimeout',
      use: 'blocking commands get their block time on top of the lease deadline',
      check: (t) => isFunction(field(t, 'extractBlockingTimeout')),
    },
  ],
};

/** Names of contract members that `target` fails, for a kind of object. */
export function missingMembers(
  kind: keyof typeof IOREDIS_CONTRACT,
  target: Redis | Cluster | Command,
): string[] {
  return IOREDIS_CONTRACT[kind]
    .filter((entry) => entry.check !== null && !entry.check(target))
    .map((entry) => entry.member);
}

const checked = new WeakSet<object>();

/**
 * Check once, when the transport first meets a client (a pool's or a user's own), that it has
 * every internal member the transport uses. Throws {@link PoolUnsupportedClientError} naming them.
 */
export function assertContract(client: Redis | Cluster): void {
  if (checked.has(client)) return;
  const missing = [
    ...missingMembers(isClusterClient(client) ? 'cluster' : 'redis', client),
    ...missingMembers('command', new Command('get', ['contract-probe'])),
  ];
  if (missing.length > 0) throw new PoolUnsupportedClientError(missing, IOREDIS_VERSION);
  checked.add(client);
}

/** True for an ioredis `Cluster`, also from another copy of ioredis. */
export function isClusterClient(client: Redis | Cluster): client is Cluster {
  return client instanceof Cluster || (client as { isCluster?: unknown }).isCluster === true;
}

/** True for an ioredis `Redis` or `Cluster`, also from another copy of ioredis. */
export function isIoredisClient(value: unknown): value is Redis | Cluster {
  if (value instanceof Redis || value instanceof Cluster) return true;
  const candidate = value as { pipeline?: unknown; sendCommand?: unknown; options?: unknown };
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof candidate.pipeline === 'function' &&
    typeof candidate.sendCommand === 'function' &&
    typeof candidate.options === 'object'
  );
}

/** The socket of a connection, if it has one now. */
export function socketOf(redis: Redis): Socket | undefined {
  return redisInternals(redis).stream;
}

/** Replies still due on a standalone connection (ioredis's command queue). */
export function queuedReplies(redis: Redis): number {
  return redisInternals(redis).commandQueue.length;
}

/** The RESP protocol a connection negotiated (2 or 3), if known. */
export function protocolOf(redis: Redis): number | undefined {
  return redisInternals(redis).condition?.protocol;
}
