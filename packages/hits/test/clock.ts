import { delay } from '@hitpool/testing';

/**
 * Wait until at least `marginMs` remain in the current UTC minute, so a test that counts hits in
 * fixed windows and reads the window keys back does not straddle a minute (hence hour or day)
 * boundary. Waits at most `marginMs`.
 */
export async function awayFromWindowEdge(marginMs = 5000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await delay(left + 50);
}
