// Runs every workspace's test suite, one package at a time (2 cores; suites start their own
// redis-servers), then names every failed test with the start of its message (CI shows only the
// tail of the log) and ends with one line: `tests: N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, dir, entry.name)),
);
const reportOf = (workspace) => join(workspace, 'test-results', 'vitest.json');
const firstLines = (text) =>
  text
    .split('\n')
    .filter((line) => !line.includes('node_modules'))
    .slice(0, 6)
    .map((line) => `    ${line}`)
    .join('\n');

for (const workspace of workspaces) rmSync(reportOf(workspace), { force: true });

const turbo = spawnSync('turbo', ['run', 'test', '--concurrency=1', '--continue'], {
  cwd: root,
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const workspace of workspaces) {
  if (!existsSync(reportOf(workspace))) continue;
  const report = JSON.parse(readFileSync(reportOf(workspace), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  for (const file of report.testResults) {
    const where = file.name.slice(root.length);
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      failures.push(`${where}: ${file.message}`);
    }
    for (const test of file.assertionResults) {
      if (test.status !== 'failed') continue;
      failures.push(`${where} > ${test.fullName}\n${firstLines(test.failureMessages.join('\n'))}`);
    }
  }
}
for (const failure of failures) console.log(`FAILED ${failure}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
