import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Records that a suite did not run because its engine (EventStoreDB, MongoDB, Redis, Chromium …)
 * is not reachable here. test/support/summary-reporter.js prints these lines by name at the end
 * of the run, so a skipped engine is never silent. The file is the handoff because suites run
 * in Jest worker processes and the reporter in the parent.
 */
export function reportSkippedSuite(name: string, reason: string): void {
  const run = process.env.PARLEY_SKIPPED_SUITES_RUN;
  // Without the summary reporter (a custom --reporters run) nobody would read the file.
  if (run === undefined) return;
  const dir = join(tmpdir(), 'parley-skipped-suites');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${run}-${process.pid}.txt`), `${name}: ${reason.replace(/\s+/g, ' ').trim()}\n`);
}
