import {
  type Contender,
  type ContenderResult,
  distinctKeys,
  hotKey,
  type InterleaveOptions,
  interleave,
  type KeySource,
  presetValues,
  serverSnapshot,
  zipfKeys,
} from '@hitpool/workload';
import { Redis } from 'ioredis';
import { createPool } from '../src/index.js';

const KEY_COUNT = 10_000;
const PREFIX = 'bench:item:';
const HOT_KEY = 'bench:hot';

/** Rows of the realistic section, by role. */
export const REALISTIC_NAMES: { readonly ioredis: string; readonly pool: string } = {
  ioredis: 'ioredis get(k), enableAutoPipelining, no commandTimeout',
  pool: 'pool.client.get(k), createPool({ url })',
};

/** One workload's table. */
export interface RealisticSection {
  title: string;
  workload: 'distinct' | 'zipf' | 'hot';
  results: ContenderResult[];
}

const workloads: ReadonlyArray<{ workload: RealisticSection['workload']; keys: () => KeySource }> =
  [
    { workload: 'distinct', keys: () => distinctKeys(KEY_COUNT, PREFIX) },
    { workload: 'zipf', keys: () => zipfKeys(KEY_COUNT, 1, PREFIX, 42) },
    { workload: 'hot', keys: () => hotKey(HOT_KEY) },
  ];

/**
 * `pool.client.get(k)` next to a plain auto-pipelined ioredis `get(k)` on the same server, for
 * 10,000 distinct keys, Zipf(1) over them and one hot key (values of `valueBytes` bytes).
 * `admin` is a connection of its own, for the server snapshots.
 */
export async function measureRealistic(
  url: string,
  admin: Redis,
  options: Omit<InterleaveOptions, 'snapshot'>,
  valueBytes: number,
  onSection: (section: RealisticSection) => void,
): Promise<RealisticSection[]> {
  const peer = new Redis(url, { enableAutoPipelining: true });
  const pool = createPool({ url });
  try {
    await presetValues(peer, [...distinctKeys(KEY_COUNT, PREFIX).keys, HOT_KEY], valueBytes);
    const sections: RealisticSection[] = [];
    for (const { workload, keys } of workloads) {
      const withKeys = (name: string, call: (key: string) => Promise<unknown>): Contender => {
        const source = keys();
        return { name, call: () => call(source.next()) };
      };
      const results = await interleave(
        [
          withKeys(REALISTIC_NAMES.ioredis, (k) => peer.get(k)),
          withKeys(REALISTIC_NAMES.pool, (k) => pool.client.get(k)),
        ],
        { ...options, snapshot: () => serverSnapshot(admin) },
      );
      const section = { title: keys().label, workload, results };
      sections.push(section);
      onSection(section);
    }
    return sections;
  } finally {
    await pool.close();
    await peer.quit();
  }
}
