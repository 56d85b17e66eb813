// `pnpm test:node20`: the built packages as users get them (pnpm-packed tarballs, installed
// with npm into a folder outside the workspace), used for real on the oldest Node they
// promise: ESM import and CJS require, a real `get` with hit counting against a redis-server
// from the harness, and each process must exit by itself. Run `pnpm build` first.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomPrefix, startRedisServer } from '@hitpool/testing';
import { createConsumer, runConsumer } from './consumer.js';
import { findOldestNode } from './node-binaries.js';
import { packPackage } from './package-checks.js';
import { createScratch } from './scratch.js';
import { publishedPackages } from './workspace.js';

const packages = publishedPackages();
const unbuilt = packages.filter((pkg) => !existsSync(join(pkg.dir, 'dist', 'index.js')));
if (unbuilt.length > 0) {
  throw new Error(
    `not built: ${unbuilt.map((pkg) => pkg.manifest.name).join(', ')}. Run \`pnpm build\` first.`,
  );
}

const node = findOldestNode();
const scratch = createScratch();
const redis = await startRedisServer();
let passed = 0;
let failed = 0;
try {
  const packs = join(scratch.dir, 'packs');
  mkdirSync(packs);
  const tarballs: string[] = [];
  for (const pkg of packages) tarballs.push(await packPackage(pkg, packs));
  const consumer = join(scratch.dir, 'consumer');
  await createConsumer(consumer, { tarballs });
  for (const file of ['esm.mjs', 'cjs.cjs'] as const) {
    try {
      const result = await runConsumer(
        consumer,
        node.path,
        file,
        redis.url,
        randomPrefix('node20'),
      );
      if (!result.node.startsWith('v20.') || result.hits !== 2 || result.value !== 'hello') {
        throw new Error(`unexpected result ${JSON.stringify(result)}`);
      }
      console.log(
        `✓ ${file} on Node ${result.node}: get → value "${result.value}", hits ${result.hits}`,
      );
      passed++;
    } catch (error) {
      console.error(`✗ ${file} on ${node.path}: ${(error as Error).message}`);
      failed++;
    }
  }
} finally {
  await redis.close();
  await scratch.close();
}
console.log(`test:node20: ${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
