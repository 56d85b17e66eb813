import type { ExperimentRow } from '@hitpool/workload';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

const plural = (n: number, word: string, digits = 0) =>
  `${digits > 0 ? n.toFixed(digits) : int(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * What hits.get did next to a connection per call, and next to the best hand-written way
 * (auto-pipelined ioredis `Promise.all([get, incr])`) when that scenario ran.
 */
export function verdict(results: readonly ExperimentRow[]): string {
  const perCall = results.find((r) => r.id === 'connection-per-call');
  const handWritten = results.find((r) => r.id === 'ioredis-promise-all');
  const hits = results.find((r) => r.id === 'hits-get');
  const best = [...results].sort((a, b) => b.callsPerSecond - a.callsPerSecond)[0];
  if (!perCall || !hits || !best) return 'verdict: not every scenario ran.';
  const ratio =
    perCall.callsPerSecond > 0
      ? `${(hits.callsPerSecond / perCall.callsPerSecond).toFixed(1)}× the calls of`
      : 'infinitely more calls than';
  const topError = Object.entries(perCall.errors.byMessage).sort((a, b) => b[1] - a[1])[0];
  const failures = topError
    ? ` and failed ${plural(perCall.errors.total, 'call')}, mostly "${topError[0]}"`
    : ' and failed no calls';
  const versusHandWritten = handWritten
    ? 'Next to what a user would write instead, Promise.all([get, incr]) on one auto-pipelined ioredis client ' +
      `(${int(handWritten.callsPerSecond)} calls/s), hits.get did ${
        handWritten.callsPerSecond > 0
          ? `${(hits.callsPerSecond / handWritten.callsPerSecond).toFixed(2)}×`
          : 'infinitely more'
      }. `
    : '';
  return (
    `verdict: hits.get did ${int(hits.callsPerSecond)} calls/s in ${plural(hits.roundTripsPerCall, 'round trip', 1)} ` +
    `on ${plural(hits.peakConnections, 'connection')}, ${ratio} a new connection per call, which did ` +
    `${int(perCall.callsPerSecond)} calls/s on up to ${plural(perCall.peakConnections, 'connection')}${failures}. ` +
    versusHandWritten +
    `Fastest: ${best.title}, ${int(best.callsPerSecond)} calls/s.`
  );
}
