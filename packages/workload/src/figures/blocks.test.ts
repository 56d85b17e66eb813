import { describe, expect, it } from 'vitest';
import { FigureBlockError, hasBlocks, readBlocks, writeBlocks } from './blocks.js';

const start = (name: string) => `<!-- figures:${name}:start -->`;
const end = (name: string) => `<!-- figures:${name}:end -->`;

describe('marked blocks', () => {
  it('reads each block by name, without its markers', () => {
    const text = `# T\n\n${start('a')}\none\ntwo\n${end('a')}\n\n${start('b')}\n${end('b')}\n`;
    expect(hasBlocks(text)).toBe(true);
    expect(readBlocks(text, 'x.md')).toEqual(
      new Map([
        ['a', 'one\ntwo'],
        ['b', ''],
      ]),
    );
  });

  it('replaces the inside of every marked block and leaves the rest and the markers alone', () => {
    const readme = `intro\n${start('a')}\nold\n${end('a')}\nmiddle\n${start('b')}\n${end('b')}\nend\n`;
    const written = writeBlocks(
      readme,
      new Map([
        ['a', 'new a'],
        ['b', 'new b\nsecond line'],
        ['unused', 'x'],
      ]),
      'README.md',
    );
    expect(written).toBe(
      `intro\n${start('a')}\nnew a\n${end('a')}\nmiddle\n${start('b')}\nnew b\nsecond line\n${end('b')}\nend\n`,
    );
    expect(writeBlocks(written, readBlocks(written, 'README.md'), 'README.md')).toBe(written);
  });

  it('refuses a block it has no figures for, naming the file', () => {
    expect(() =>
      writeBlocks(`${start('pool-zipf')}\n${end('pool-zipf')}\n`, new Map(), 'p/README.md'),
    ).toThrow(/p\/README\.md: no figures for block "pool-zipf"/);
  });

  it('refuses markers that do not pair up, with the line', () => {
    const bad = [
      [`${start('a')}\n`, /block "a" has no end marker/],
      [`x\n${end('a')}\n`, /x\.md:2: end of block "a" without its start/],
      [
        `${start('a')}\n${start('b')}\n${end('b')}\n${end('a')}\n`,
        /block "b" starts inside block "a"/,
      ],
      [`${start('a')} text\n${end('a')}\n`, /start marker of "a" on a line of its own/],
      [`${start('a')}\n${end('a')}\n${start('a')}\n${end('a')}\n`, /block "a" appears twice/],
    ] as const;
    for (const [text, message] of bad) {
      expect(() => readBlocks(text, 'x.md')).toThrow(FigureBlockError);
      expect(() => readBlocks(text, 'x.md')).toThrow(message);
    }
    expect(hasBlocks('no markers here')).toBe(false);
  });
});
