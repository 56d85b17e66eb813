/**
 * Most bytes each published tarball (.tgz) may weigh: what every install downloads.
 * Set about 15% above the size measured when the budget was last changed, so growth is a
 * decision made here in review, not an accident. Measure with
 * `./pnpmw build && ./pnpmw --filter @hitpool/release-check check`.
 *
 * Last set on 2026-11-26 from: pool 104.5 kB, hits 106.3 kB. About 60% of the unpacked bytes
 * are source maps (tsup `sourcemap: true`, sources embedded); without them each tarball would be
 * roughly 40 kB.
 */
export const tarballBudgets: Readonly<Record<string, number>> = {
  '@hitpool/pool': 120_000,
  '@hitpool/hits': 122_000,
};
