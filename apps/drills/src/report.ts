import { appendFileSync } from 'node:fs';
import { type DrillRow, drillTable } from '@hitpool/workload';

/**
 * Print one drill's figures (they show in the test output) and, when
 * `resultsFile` is given, append the row as a JSON line for the final table.
 */
export function recordDrill(
  row: DrillRow,
  details: Record<string, unknown>,
  resultsFile?: string,
): void {
  const lines = [
    drillTable([row]),
    ...Object.entries(details).map(
      ([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    ),
  ];
  console.log(`\n[drill] ${row.drill}\n${lines.join('\n')}\n`);
  if (resultsFile) appendFileSync(resultsFile, `${JSON.stringify(row)}\n`);
}
