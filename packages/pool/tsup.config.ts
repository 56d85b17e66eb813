import { defineConfig } from 'tsup';

const config: ReturnType<typeof defineConfig> = defineConfig({
  entry: { index: 'src/index.ts', transport: 'src/transport/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // The CJS build needs import.meta.url (the transport reads the installed ioredis version).
  shims: true,
  // Both entry points share one copy of the pool's modules (error classes, the deadline sweeper).
  splitting: true,
});

export default config;
