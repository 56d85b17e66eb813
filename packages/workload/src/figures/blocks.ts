// The marked blocks of a Markdown text: `<!-- figures:NAME:start -->`, lines, `<!-- figures:NAME:end -->`.

const MARKER = /<!-- figures:([a-z0-9-]+):(start|end) -->/g;

/** Thrown when markers do not pair up or name a block there is no figure for. */
export class FigureBlockError extends Error {
  override readonly name = 'FigureBlockError';
}

interface Span {
  name: string;
  /** Index just after the start marker's line break. */
  from: number;
  /** Index of the end marker. */
  to: number;
}

function spans(text: string, where: string): Span[] {
  const found: Span[] = [];
  let open: { name: string; from: number } | undefined;
  for (const match of text.matchAll(MARKER)) {
    const [marker, name = '', edge] = match;
    const line = text.slice(0, match.index).split('\n').length;
    if (edge === 'start') {
      if (open)
        throw new FigureBlockError(
          `${where}:${line}: block "${name}" starts inside block "${open.name}"`,
        );
      const after = match.index + marker.length;
      if (text[after] !== '\n')
        throw new FigureBlockError(
          `${where}:${line}: put the start marker of "${name}" on a line of its own`,
        );
      open = { name, from: after + 1 };
    } else {
      if (open?.name !== name)
        throw new FigureBlockError(`${where}:${line}: end of block "${name}" without its start`);
      found.push({ name, from: open.from, to: match.index });
      open = undefined;
    }
  }
  if (open) throw new FigureBlockError(`${where}: block "${open.name}" has no end marker`);
  return found;
}

/** The blocks of `text` by name, each without its markers and without a final line break. */
export function readBlocks(text: string, where: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const span of spans(text, where)) {
    if (blocks.has(span.name))
      throw new FigureBlockError(`${where}: block "${span.name}" appears twice`);
    blocks.set(span.name, text.slice(span.from, span.to).replace(/\n$/, ''));
  }
  return blocks;
}

/** True when `text` has any figures marker. */
export function hasBlocks(text: string): boolean {
  return /<!-- figures:[a-z0-9-]+:start -->/.test(text);
}

/**
 * `text` with the inside of every marked block replaced by the block of that name in `blocks`
 * (the markers stay); throws when `text` marks a block `blocks` does not have.
 */
export function writeBlocks(
  text: string,
  blocks: ReadonlyMap<string, string>,
  where: string,
): string {
  let out = '';
  let at = 0;
  for (const span of spans(text, where)) {
    const block = blocks.get(span.name);
    if (block === undefined)
      throw new FigureBlockError(
        `${where}: no figures for block "${span.name}" (known: ${[...blocks.keys()].join(', ') || 'none'}); is its raw result in docs/results?`,
      );
    out += `${text.slice(at, span.from)}${block}\n`;
    at = span.to;
  }
  return out + text.slice(at);
}
