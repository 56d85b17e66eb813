import { expect, it } from 'vitest';
import { contenderResult } from '../test/fixtures.js';
import { contenderTable, goal, goalLine, toJson } from './report.js';

it('goal lines say met or MISSED with the ratio and the target', () => {
  expect(goalLine(goal('a ≥ 2× b', 300, 100, 2))).toBe('met    a ≥ 2× b: 3.00× (goal ≥ 2×)');
  expect(goalLine(goal('a ≥ 2× b', 150, 100, 2, 'note'))).toBe(
    'MISSED a ≥ 2× b: 1.50× (goal ≥ 2×); note',
  );
  expect(goal('x', 1, 0, 1).met).toBe(false);
});

it('tables ratios to the named peers and lists errors by message', () => {
  const text = contenderTable(
    [
      contenderResult('peer', [90, 100, 110]),
      contenderResult('other', [200, 210, 250], [['boom', 2]]),
    ],
    [{ header: '× peer', name: 'peer' }],
  );
  const lines = text.split('\n');
  expect(lines[0]).toBe(
    '| contender | calls/s (median) | min–max | p50 ms | p99 ms | × peer | commands/call | server CPU ms/1k calls | errors |',
  );
  expect(lines[2]).toBe('| peer | 100 | 90–110 | 1.00 | 2.00 | 1.00× | – | – | 0 |');
  expect(lines[3]).toBe('| other | 210 | 200–250 | 1.00 | 2.00 | 2.10× | – | – | 6 |');
  expect(text).toContain('- other: 6 × boom');
  const measured = {
    ...contenderResult('measured', [100]),
    server: {
      clientCalls: 100,
      commands: 201,
      cpuMs: 1,
      commandsPerCall: 2.01,
      cpuMsPer1000Calls: 10,
      byCommand: { get: 1, incr: 1, evalsha: 0.01, 'client|setinfo': 0.001 },
    },
  };
  const withServer = contenderTable([measured]);
  expect(withServer).toContain('| measured | 100 | 100–100 | 1.00 | 2.00 | 2.01 | 10.00 | 0 |');
  expect(withServer).toContain(
    'Commands per call, by name:\n- measured: get 1.00, incr 1.00, evalsha 0.01',
  );
  expect(() =>
    contenderTable([contenderResult('a', [1])], [{ header: 'x', name: 'missing' }]),
  ).toThrow(/no contender named "missing"/);
});

it('in brief leaves out min–max, p50 and the commands by name, and keeps the errors', () => {
  const measured = {
    ...contenderResult('measured', [90, 100, 110], [['boom', 1]]),
    server: {
      clientCalls: 100,
      commands: 200,
      cpuMs: 1,
      commandsPerCall: 2,
      cpuMsPer1000Calls: 10,
      byCommand: { get: 1, incr: 1 },
    },
  };
  const text = contenderTable([measured], [{ header: '× self', name: 'measured' }], {
    brief: true,
  });
  expect(text.split('\n').slice(0, 3)).toEqual([
    '| contender | calls/s | p99 ms | × self | commands/call | server CPU ms/1k calls | errors |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    '| measured | 100 | 2.00 | 1.00× | 2.00 | 10.00 | 3 |',
  ]);
  expect(text).not.toContain('by name');
  expect(text).toContain('- measured: 3 × boom');
});

it('writes Maps as objects in JSON', () => {
  expect(JSON.parse(toJson({ errors: new Map([['boom', 2]]) }))).toEqual({ errors: { boom: 2 } });
});
