import { describe, expect, it } from 'vitest';
import { entryImportProblems, packagesImportedBy } from './entry-imports.js';
import type { Tarball } from './tarball.js';

/** A tarball of a package with a main entry and an `./otel` entry sharing a chunk. */
function tarball(files: Record<string, string>): Tarball {
  const entries = Object.entries(files).map(([path, text]) => ({
    path,
    size: text.length,
    content: Buffer.from(text),
  }));
  const entry = (name: string) => ({
    import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
    require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
  });
  return {
    file: 'pkg.tgz',
    packedBytes: 0,
    unpackedBytes: 0,
    entries,
    manifest: {
      exports: { '.': entry('index'), './otel': entry('otel'), './package.json': './package.json' },
      dependencies: { ioredis: '~6.0.0' },
      peerDependencies: { '@opentelemetry/api': '^1.7.0' },
    },
  };
}

const clean = {
  'dist/index.js':
    'import { a } from "./chunk-A.js";\nimport { channel } from "node:diagnostics_channel";',
  'dist/index.cjs': 'var a = require("./chunk-A.cjs");\nvar net = require("net");',
  'dist/chunk-A.js': 'import { Redis } from "ioredis";\nexport { Redis as a };',
  'dist/chunk-A.cjs': 'var ioredis = require("ioredis");',
  'dist/otel.js':
    'import { a } from "./chunk-A.js";\nimport { metrics } from "@opentelemetry/api";',
  'dist/otel.cjs': 'var api = require("@opentelemetry/api/build/x");',
};

describe('entryImportProblems', () => {
  it('follows shared chunks and leaves Node built-ins out', () => {
    expect([...packagesImportedBy(tarball(clean), './dist/index.js')]).toEqual(['ioredis']);
    expect([...packagesImportedBy(tarball(clean), './dist/otel.js')].sort()).toEqual([
      '@opentelemetry/api',
      'ioredis',
    ]);
  });

  it('lets a subpath entry load an optional peer, and the main entry only dependencies', () => {
    expect(entryImportProblems(tarball(clean))).toEqual([]);
    const leaky = {
      ...clean,
      'dist/chunk-A.cjs': 'require("ioredis"); require("@opentelemetry/api");',
    };
    expect(entryImportProblems(tarball(leaky))).toEqual([
      'exports["."].require (./dist/index.cjs) loads @opentelemetry/api, which is not among its dependencies',
    ]);
  });

  it('names an undeclared package in any entry', () => {
    const undeclared = { ...clean, 'dist/otel.js': 'import x from "lodash/get";' };
    expect(entryImportProblems(tarball(undeclared))).toEqual([
      'exports["./otel"].import (./dist/otel.js) loads lodash, which is not among its dependencies or peerDependencies',
    ]);
  });
});
