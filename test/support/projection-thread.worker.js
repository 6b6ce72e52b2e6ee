/**
 * The projection thread (src/infrastructure/read-store/projection-thread.worker.ts) run
 * from the TypeScript sources, for tests: a worker thread does not go through Jest's transform, so
 * this compiles each module it requires with SWC, as jest.config.js does. The server runs the
 * compiled worker from dist/ instead (PROJECTION_THREAD_FILE).
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

require(join(__dirname, '../../src/infrastructure/read-store/projection-thread.worker.ts'));
