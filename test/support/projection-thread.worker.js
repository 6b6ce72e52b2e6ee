/**
 * The projection thread (src/infrastructure/read-store/projection-thread.worker.ts) run from the
 * TypeScript sources, for tests. The server runs the compiled worker from dist/ instead
 * (PROJECTION_THREAD_FILE).
 */
const { join } = require('node:path');

require('./register-typescript');
require(join(__dirname, '../../src/infrastructure/read-store/projection-thread.worker.ts'));
