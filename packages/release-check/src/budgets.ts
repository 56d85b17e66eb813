/**
 * Most bytes each published tarball (.tgz) may weigh: what every install downloads.
 * Set about 15% above the measured size, so growth is a decision made here in review,
 * not an accident. Measure with `./pnpmw --filter @hitpool/release-check check`.
 */
export const tarballBudgets: Readonly<Record<string, number>> = {
  '@hitpool/pool': 117_000,
  '@hitpool/hits': 112_000,
};
