// The drills' row and table: the drills (apps/drills) write the rows, `pnpm figures` reads them
// back, so both print the same table from the same shape.

/** What the callers of plain commands on `pool.client` (label `client`) got in one drill. */
export interface ClientFigures {
  ok: number;
  failed: number;
  /** Their acknowledged increments missing from Redis afterwards. */
  lost: number;
  /** Their increments in Redis whose call failed. */
  extra: number;
}

/** One line of the drill table. */
export interface DrillRow {
  drill: string;
  ok: number;
  /** Failed calls by error code. */
  failures: Readonly<Record<string, number>>;
  longestStallMs: number;
  /**
   * Time from `recoverFrom` until every kind of caller succeeded again; `never` when some
   * never did; null when not measured.
   */
  recoverMs: number | 'never' | null;
  /** What the recovery time is measured from (e.g. `server back`, `kill`). */
  recoverFrom?: string;
  /** Acknowledged increments missing from Redis afterwards; null when the drill does not count. */
  ackLost: number | null;
  /** The `pool.client` callers' own figures; absent when the drill has none. */
  client?: ClientFigures;
}

const ms = (value: number) => `${Math.round(value)} ms`;

function failureCell(failures: Readonly<Record<string, number>>): string {
  const entries = Object.entries(failures).sort(([, a], [, b]) => b - a);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return '0';
  const parts = entries.map(([code, count]) => `${code.replaceAll('|', '/')} ×${count}`);
  return `${total}: ${parts.join(', ')}`;
}

function recoveryCell(row: DrillRow): string {
  if (row.recoverMs === null) return 'n/a';
  const from = row.recoverFrom ? ` after ${row.recoverFrom}` : '';
  return row.recoverMs === 'never' ? `never${from}` : `${ms(row.recoverMs)}${from}`;
}

function clientCell(row: DrillRow): string {
  const client = row.client;
  if (client === undefined) return 'n/a';
  return `${client.ok} / ${client.failed} / ${client.lost} / ${client.extra}`;
}

/** The rows as a Markdown table (pastes straight into a README). */
export function drillTable(rows: readonly DrillRow[]): string {
  const header = [
    'Drill',
    'Calls ok',
    'Calls failed (by code)',
    'Longest stall',
    'Time to recover',
    'Acknowledged but lost',
    '`pool.client` calls ok / failed / lost / extra',
  ];
  const lines = rows.map((row) => [
    row.drill,
    String(row.ok),
    failureCell(row.failures),
    ms(row.longestStallMs),
    recoveryCell(row),
    row.ackLost === null ? 'n/a' : String(row.ackLost),
    clientCell(row),
  ]);
  return [header, header.map(() => '---'), ...lines]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
}
