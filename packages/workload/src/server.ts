/** What {@link serverSnapshot} reads from: anything with `INFO`, such as an ioredis `Redis`. */
export interface InfoSource {
  info(section: string): Promise<string>;
}

/** Counters of one or more redis-servers at one moment. */
export interface ServerSnapshot {
  /** Commands executed so far, by commandstats name (`get`, `evalsha`, `client|setinfo`). */
  commands: Record<string, number>;
  /** `used_cpu_user` + `used_cpu_sys`, seconds. */
  cpuSeconds: number;
}

/** Server-side cost of a stretch of client calls; see {@link serverDelta}. */
export interface ServerDelta {
  /** Client calls the figures are divided by. */
  clientCalls: number;
  /** Commands the server(s) executed, INFO excluded. */
  commands: number;
  /** Server CPU time (user + system), ms. */
  cpuMs: number;
  /** `commands / clientCalls`. */
  commandsPerCall: number;
  /** `cpuMs / clientCalls * 1000`. */
  cpuMsPer1000Calls: number;
  /** Commands per client call by name, INFO excluded, most first. */
  byCommand: Record<string, number>;
}

/** Commands that the measurement itself sends, left out of every delta. */
const OWN_COMMANDS = new Set(['info']);

/** `{ get: 12, … }` from the text of `INFO commandstats` (`cmdstat_get:calls=12,usec=…`). */
export function parseCommandStats(text: string): Record<string, number> {
  const commands: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) {
    commands[match[1] as string] = Number(match[2]);
  }
  return commands;
}

/** `used_cpu_user` + `used_cpu_sys` in seconds, from the text of `INFO cpu`. */
export function parseCpuSeconds(text: string): number {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text);
    if (!match) throw new Error(`INFO cpu has no ${name}`);
    return Number(match[1]);
  };
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** `a + b`, command by command. */
export function addSnapshots(a: ServerSnapshot, b: ServerSnapshot): ServerSnapshot {
  const commands = { ...a.commands };
  for (const [name, calls] of Object.entries(b.commands)) {
    commands[name] = (commands[name] ?? 0) + calls;
  }
  return { commands, cpuSeconds: a.cpuSeconds + b.cpuSeconds };
}

/** `after - before`, command by command: what happened in between. */
export function snapshotDifference(before: ServerSnapshot, after: ServerSnapshot): ServerSnapshot {
  const commands: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.commands)) {
    const difference = calls - (before.commands[name] ?? 0);
    if (difference !== 0) commands[name] = difference;
  }
  return { commands, cpuSeconds: after.cpuSeconds - before.cpuSeconds };
}

/** A snapshot of nothing: the neutral element of {@link addSnapshots}. */
export const EMPTY_SNAPSHOT: ServerSnapshot = Object.freeze({
  commands: Object.freeze({}) as Record<string, number>,
  cpuSeconds: 0,
});

/**
 * Read `INFO commandstats` and `INFO cpu` of one server, or of several summed (the masters of
 * a Cluster). Use a connection of its own, not one under load. Its two INFO commands per server
 * are left out of {@link serverDelta}.
 */
export async function serverSnapshot(
  source: InfoSource | readonly InfoSource[],
): Promise<ServerSnapshot> {
  const sources: readonly InfoSource[] = Array.isArray(source) ? source : [source as InfoSource];
  const snapshots = await Promise.all(
    sources.map(async (server) => ({
      commands: parseCommandStats(await server.info('commandstats')),
      cpuSeconds: parseCpuSeconds(await server.info('cpu')),
    })),
  );
  return snapshots.reduce(addSnapshots, EMPTY_SNAPSHOT);
}

/**
 * The server-side cost of `clientCalls` calls made between two snapshots: commands executed
 * per call (Redis counts the commands a script runs too, next to its `evalsha`) and server CPU
 * ms per 1,000 calls. INFO, the measurement's own command, is left out.
 */
export function serverDelta(
  before: ServerSnapshot,
  after: ServerSnapshot,
  clientCalls: number,
): ServerDelta {
  const difference = snapshotDifference(before, after);
  const perCall = (n: number) => (clientCalls > 0 ? n / clientCalls : 0);
  const counted = Object.entries(difference.commands)
    .filter(([name, calls]) => !OWN_COMMANDS.has(name) && calls > 0)
    .sort((a, b) => b[1] - a[1]);
  const commands = counted.reduce((sum, [, calls]) => sum + calls, 0);
  const cpuMs = Math.max(0, difference.cpuSeconds * 1000);
  return {
    clientCalls,
    commands,
    cpuMs,
    commandsPerCall: perCall(commands),
    cpuMsPer1000Calls: perCall(cpuMs) * 1000,
    byCommand: Object.fromEntries(counted.map(([name, calls]) => [name, perCall(calls)])),
  };
}
