/**
 * A projection thread that ends at once the first time it starts for a file (it leaves a marker
 * beside the file), and is the real one (run from the sources) after that: for the restart test.
 */
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { workerData } = require('node:worker_threads');

const marker = `${workerData.file}.thread-died`;
if (!existsSync(marker)) {
  writeFileSync(marker, 'ended once\n');
  process.exit(3);
}
require(join(__dirname, 'projection-thread.worker.js'));
