import { describe, expect, it } from 'vitest';
import { manifestProblems } from './package-checks.js';

/** A manifest as pnpm publishes ours: every rule satisfied. */
function published(): Record<string, unknown> {
  return {
    name: '@hitpool/hits',
    version: '1.2.3',
    type: 'module',
    sideEffects: false,
    engines: { node: '>=20' },
    exports: {
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './package.json': './package.json',
    },
    dependencies: { '@hitpool/pool': '^1.2.0', ioredis: '^6.0.0' },
  };
}

describe('manifestProblems', () => {
  it('accepts a manifest as we publish it', () => {
    expect(manifestProblems(published())).toEqual([]);
  });

  it('names each broken rule', () => {
    const manifest = published();
    manifest.dependencies = { '@hitpool/pool': 'workspace:^', lodash: '^4.0.0' };
    manifest.sideEffects = true;
    manifest.engines = {};
    manifest.exports = {
      '.': {
        import: { default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './src/index.ts' },
      },
    };
    expect(manifestProblems(manifest)).toEqual([
      'packed package.json still contains "workspace:"',
      '"sideEffects" must be false',
      '"engines.node" is missing',
      'exports["."].import needs its own "types" and "default"',
      'exports["."].require.default points outside dist/: ./src/index.ts',
      '"./package.json" is not exported',
      'dependency @hitpool/pool@workspace:^ is not a plain semver range',
      'runtime dependency lodash is not allowed (only ioredis and @hitpool/*)',
    ]);
  });

  it('requires repository.url only when the release asks for provenance', () => {
    const before = process.env.PNPM_CONFIG_PROVENANCE;
    try {
      process.env.PNPM_CONFIG_PROVENANCE = 'true';
      expect(manifestProblems(published())).toEqual([
        '"repository.url" is missing; npm refuses provenance without it',
      ]);
      const withRepository = { ...published(), repository: { url: 'git+https://example.test/x' } };
      expect(manifestProblems(withRepository)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.PNPM_CONFIG_PROVENANCE;
      else process.env.PNPM_CONFIG_PROVENANCE = before;
    }
  });
});
