/** Jest runs the TypeScript sources through SWC (fast, keeps decorator metadata for NestJS). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // The plugin SDK by its package name (package.json exports), from the sources as tsconfig.json's paths.
  moduleNameMapper: {
    '^parley/plugin$': '<rootDir>/src/plugins/channel-plugin.ts',
    '^parley/plugin/testing$': '<rootDir>/src/plugins/testing/index.ts',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  testTimeout: 30000,
  // Each e2e file starts Parley apps, and a closed app is not all given back to the heap: run the files
  // in a worker that is replaced once it holds more than this after a file, instead of one process
  // growing over the whole suite (which ran out of heap at about 4 GB, and slowed down well before).
  workerIdleMemoryLimit: '1GB',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
