import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomPrefix } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { removeKeysContaining } from '../src/experiment/keys.js';
import { buildApp, type DemoApp } from '../src/server/app.js';

// Debian's Chromium (.ci/run and ./pnpmw install it); no browser download.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-results/', import.meta.url));

// Generous: the machine running the suite may be busy.
const POLL = { timeout: 10_000 };
const prefix = randomPrefix('demo-browser');
let demo: DemoApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  demo = buildApp({ redisUrl: inject('redisUrl'), keyPrefix: prefix, flushIntervalMs: 100 });
  base = await demo.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await demo.app.close();
  const redis = new Redis(inject('redisUrl'));
  await removeKeysContaining(redis, prefix);
  await redis.quit();
});

it('sets an item, reads it three times, and sees the count and the chart update', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(base);
  await expect.poll(() => page.locator('#stat-redis').textContent(), POLL).toBe('up');

  await page.fill('#key', 'greeting');
  await page.fill('#value', 'hello from chromium');
  await page.click('#set');
  await expect.poll(() => page.locator('#result').textContent(), POLL).toContain('stored 19 bytes');

  for (const expected of ['1', '2', '3']) {
    await page.click('#read');
    await expect.poll(() => page.locator('#hits').textContent(), POLL).toBe(expected);
  }
  await expect
    .poll(() => page.locator('#result').textContent(), POLL)
    .toContain('"hello from chromium"');

  // The chart polls /api/top every second; buffered hits are flushed every 100 ms.
  const bar = page.locator('#chart .row[data-key="greeting"] .hits');
  await expect.poll(() => bar.textContent(), { timeout: 10_000 }).toBe('3');
  // Pool stats are live numbers, not placeholders.
  expect(Number(await page.locator('#stat-calls').textContent())).toBeGreaterThanOrEqual(3);
  await expect.poll(() => page.locator('#stat-cache').textContent()).toMatch(/^\d+\.\d % of \d/);

  await page.click('#load');
  await expect
    .poll(() => page.locator('#status').textContent(), { timeout: 20_000 })
    .toMatch(/reads in \d+ ms/);
  await expect
    .poll(() => page.locator('#chart .row[data-key="load-1"]').count(), { timeout: 10_000 })
    .toBe(1);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}dashboard.png` });
  expect(pageErrors).toEqual([]);
  await page.close();
});
