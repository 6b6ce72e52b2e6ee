/**
 * The event log's writer thread (src/infrastructure/event-store/event-log-writer.worker.ts) run
 * from the TypeScript sources, for tests. The server runs the compiled worker from dist/ instead
 * (WRITER_THREAD_FILE).
 */
const { join } = require('node:path');

require('./register-typescript');
require(join(__dirname, '../../src/infrastructure/event-store/event-log-writer.worker.ts'));
