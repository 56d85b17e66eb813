import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The oldest Node major the published packages promise (`engines.node: ">=20"`). */
export const OLDEST_NODE_MAJOR = 20;

function majorOf(node: string): number | undefined {
  try {
    accessSync(node, constants.X_OK);
    const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    return Number.parseInt(version, 10);
  } catch {
    return undefined;
  }
}

/**
 * A `node` binary of the oldest supported major: `HITPOOL_NODE20` if set, else the first on
 * PATH or in /usr/local/bin, /usr/bin (./pnpmw puts Node 24 first on PATH; the machine's own
 * Node stays behind it). Throws with what to do when there is none, rather than skipping.
 */
export function findOldestNode(): { path: string; major: number } {
  const fromEnv = process.env.HITPOOL_NODE20;
  const candidates = fromEnv
    ? [fromEnv]
    : [
        ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node')),
        '/usr/local/bin/node',
        '/usr/bin/node',
      ];
  for (const path of new Set(candidates)) {
    const major = majorOf(path);
    if (major === OLDEST_NODE_MAJOR) return { path, major };
  }
  throw new Error(
    `no Node ${OLDEST_NODE_MAJOR} found (${fromEnv ? `HITPOOL_NODE20=${fromEnv}` : 'looked on PATH, /usr/local/bin, /usr/bin'}). ` +
      `The published packages promise Node >= ${OLDEST_NODE_MAJOR}, so the rehearsal runs them on it: ` +
      `install Node ${OLDEST_NODE_MAJOR} (e.g. \`npm install --prefix /opt/node20 node@${OLDEST_NODE_MAJOR}\`) ` +
      'and set HITPOOL_NODE20 to its node binary.',
  );
}
