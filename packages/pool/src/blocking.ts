/** Blocking commands whose timeout is their last argument. */
const TIMEOUT_LAST = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'bzpopmin', 'bzpopmax']);

/** A timeout argument that means "block until something arrives". */
function isZero(value: unknown): boolean {
  if (value === undefined || value === '') return false;
  return (typeof value === 'number' ? value : Number(String(value))) === 0;
}

/**
 * True when a command blocks with no timeout: `BLPOP … 0` (and BRPOP, BRPOPLPUSH, BLMOVE,
 * BZPOPMIN, BZPOPMAX, BLMPOP, BZMPOP), `XREAD`/`XREADGROUP … BLOCK 0`, `WAIT n 0`,
 * `WAITAOF l r 0`. Such a command may legitimately hold its lease for as long as it waits.
 * Cheap for every other command: one character code decides.
 */
export function blocksForever(name: string, args: readonly unknown[]): boolean {
  // Lower-case ASCII first letter: b, x or w; everything else returns at once.
  const first = name.charCodeAt(0) | 0x20;
  if (first !== 98 && first !== 120 && first !== 119) return false;
  const command = name.toLowerCase();
  if (TIMEOUT_LAST.has(command)) return isZero(args[args.length - 1]);
  switch (command) {
    case 'blmpop':
    case 'bzmpop':
      return isZero(args[0]);
    case 'xread':
    case 'xreadgroup': {
      const at = args.findIndex((arg) => String(arg).toLowerCase() === 'block');
      return at !== -1 && isZero(args[at + 1]);
    }
    case 'wait':
      return isZero(args[1]);
    case 'waitaof':
      return isZero(args[2]);
    default:
      return false;
  }
}
