/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") after Jest's own
 * summary, preceded by the names of suites that were skipped because their engine was not
 * reachable (suites report those with reportSkippedSuite from test/support/engines.ts).
 *
 * Test files run in worker processes, so skipped suites reach this reporter through files:
 * <tmpdir>/parley-skipped-suites/<run>-<worker pid>.txt, where <run> is this process's pid,
 * handed to the workers in PARLEY_SKIPPED_SUITES_RUN. Keying by run keeps two Jest runs on
 * one machine from printing, or deleting, each other's lines.
 */
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const SKIP_DIR = path.join(os.tmpdir(), 'parley-skipped-suites');
const RUN_ENV = 'PARLEY_SKIPPED_SUITES_RUN';

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

class SummaryReporter {
  constructor() {
    this.run = String(process.pid);
    // Set before Jest starts its workers, which inherit the environment.
    process.env[RUN_ENV] = this.run;
  }

  /** Files of this run, or all of them with `stale` (this run's leftovers and those of runs that died). */
  files({ stale = false } = {}) {
    if (!fs.existsSync(SKIP_DIR)) return [];
    return fs
      .readdirSync(SKIP_DIR)
      .filter((name) => {
        const run = name.split('-')[0];
        return run === this.run || (stale && !isAlive(Number(run)));
      })
      .map((name) => path.join(SKIP_DIR, name));
  }

  onRunStart() {
    for (const file of this.files({ stale: true })) fs.rmSync(file, { force: true });
  }

  onRunComplete(_contexts, results) {
    const lines = new Set();
    for (const file of this.files()) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line) lines.add(line);
      fs.rmSync(file, { force: true });
    }
    if (lines.size > 0) {
      process.stdout.write('\nSuites skipped because their engine is not reachable here:\n');
      for (const line of lines) process.stdout.write(`  - ${line}\n`);
    }
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

module.exports = SummaryReporter;
