/**
 * Lets a worker thread started by a test require the TypeScript sources: a worker does not go
 * through Jest's transform, so each `.ts` module it requires is compiled with SWC, as
 * jest.config.js does. The server runs the compiled workers from dist/ instead.
 */
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
