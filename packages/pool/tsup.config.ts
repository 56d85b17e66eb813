import { defineConfig } from 'tsup';

const config: ReturnType<typeof defineConfig> = defineConfig({
  entry: {
    index: 'src/index.ts',
    transport: 'src/transport/index.ts',
    otel: 'src/otel/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // The CJS build needs import.meta.url (the transport reads the installed ioredis version).
  shims: true,
  // The entry points share one copy of the pool's modules (error classes, the deadline sweeper).
  // @opentelemetry/api stays external (a peer dependency): only the otel entry imports it.
  splitting: true,
});

export default config;
