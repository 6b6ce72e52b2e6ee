/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") after Jest's own
 * summary, plus the names of suites that were skipped because their engine was unavailable
 * (suites register those through test/support/engines.ts, which writes to this reporter's file).
 */
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skippedFile = path.join(os.tmpdir(), `parley-skipped-suites-${process.ppid}-${process.pid}.txt`);
    const skipDir = path.join(os.tmpdir(), 'parley-skipped-suites');
    let skipped = [];
    if (fs.existsSync(skipDir)) {
      for (const f of fs.readdirSync(skipDir)) {
        skipped.push(...fs.readFileSync(path.join(skipDir, f), 'utf8').split('\n').filter(Boolean));
      }
    }
    skipped = [...new Set(skipped)];
    if (skipped.length > 0) {
      process.stdout.write('\nSuites skipped because their engine is not reachable here:\n');
      for (const line of skipped) process.stdout.write(`  - ${line}\n`);
    }
    void skippedFile;
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skippedTests = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skippedTests} skipped\n`);
  }
}

module.exports = SummaryReporter;
