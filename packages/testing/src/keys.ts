import { randomBytes } from 'node:crypto';

/** A key prefix unique to one test, so suites can share a server: `t:<label>:<random>:`. */
export function randomPrefix(label = 'test'): string {
  return `t:${label}:${randomBytes(6).toString('hex')}:`;
}
