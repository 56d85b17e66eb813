import { describe, expect, it } from 'vitest';
import { blocksForever } from './blocking.js';

describe('blocksForever', () => {
  it.each([
    ['blpop', ['q', 0]],
    ['BLPOP', ['a', 'b', '0']],
    ['brpop', ['q', '0.0']],
    ['brpoplpush', ['a', 'b', 0]],
    ['blmove', ['a', 'b', 'LEFT', 'RIGHT', 0]],
    ['bzpopmin', ['z', 0]],
    ['blmpop', [0, 1, 'q', 'LEFT']],
    ['bzmpop', ['0', 1, 'z', 'MIN']],
    ['xread', ['BLOCK', 0, 'STREAMS', 's', '$']],
    ['xreadgroup', ['GROUP', 'g', 'c', 'COUNT', 1, 'block', '0', 'STREAMS', 's', '>']],
    ['wait', [1, 0]],
    ['waitaof', [1, 0, 0]],
  ])('%s %o blocks forever', (name, args) => {
    expect(blocksForever(name, args)).toBe(true);
  });

  it.each([
    ['blpop', ['q', 5]],
    ['blpop', ['q', '0.5']],
    ['blmpop', [1, 1, 'q', 'LEFT']],
    ['xread', ['COUNT', 1, 'STREAMS', 's', '0']],
    ['xread', ['BLOCK', 100, 'STREAMS', 's', '$']],
    ['wait', [1, 100]],
    ['get', ['0']],
    ['bitcount', ['k', 0, 0]],
    ['set', ['k', 0]],
  ])('%s %o does not', (name, args) => {
    expect(blocksForever(name, args)).toBe(false);
  });
});
