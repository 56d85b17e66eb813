/**
 * Most bytes each published tarball (.tgz) may weigh: what every install downloads.
 * Set about 15% above the size measured when the budget was last changed, so growth is a
 * decision made here in review, not an accident. Measure with
 * `./pnpmw build && ./pnpmw --filter @hitpool/release-check check`.
 *
 * Pool last set on 2026-11-27 from 230.3 kB (was 168.4 kB, before that 104.5 kB): the circuit
 * breaker and the bounded backlog (+42.6 kB over the 187.7 kB measured just before them) and
 * the OpenTelemetry entry point (`@hitpool/pool/otel`: its own files about 11 kB packed) on
 * top of the transport
 * entry point (`@hitpool/pool/transport`: deadlines, Cluster router, executor), the blocking
 * lane, lease reclaim and TLS errors; the entry points share chunks, so the growth is code, not
 * duplication. Hits last set on 2026-11-28 from 180.4 kB (was 156.3 kB, before that 106.3 kB):
 * the near cache's turns that read and count in one write on its tracking connection, flushes
 * that return the totals they wrote, the invalidation marks for reads in flight and the tracked
 * read by `MGET`; before that the batch, count and flush scripts, the near cache (its copies,
 * the tracking connections) and the single-key commands for a slot being migrated. About 57–60% of the unpacked bytes are source maps (tsup
 * `sourcemap: true`, sources embedded).
 */
export const tarballBudgets: Readonly<Record<string, number>> = {
  '@hitpool/pool': 265_000,
  '@hitpool/hits': 207_000,
};
