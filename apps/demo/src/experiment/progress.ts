import type { ProgressEvent } from './experiment.js';

const BAR_WIDTH = 24;

/**
 * Progress on `stream`: a redrawn bar on a terminal, one plain line per
 * scenario start and end otherwise (CI logs, pipes).
 */
export function progressPrinter(stream: NodeJS.WriteStream): (event: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  return (event) => {
    const label = `[${event.index + 1}/${event.total}]`;
    if (event.type === 'start') {
      if (!tty) stream.write(`${label} ${event.scenario.title}: running\n`);
    } else if (event.type === 'tick') {
      if (!tty) return;
      const filled = Math.round(event.fraction * BAR_WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
      stream.write(
        `\r${label} ${event.scenario.title.padEnd(28)} ${bar} ${event.calls.toLocaleString('en-US')} calls\u001b[K`,
      );
    } else {
      const { result } = event;
      const line = `${label} ${result.title}: ${result.callsPerSecond.toLocaleString('en-US')} calls/s, ${result.errors.total.toLocaleString('en-US')} errors`;
      stream.write(tty ? `\r${line}\u001b[K\n` : `${line}\n`);
    }
  };
}
