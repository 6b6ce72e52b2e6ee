import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Engines a machine can provide by itself (as opposed to EventStoreDB and MongoDB, which need Docker or a URL). */
export type LocalEngine = 'chromium' | 'redis';

/** PARLEY_REQUIRED_ENGINES=chromium,redis: suites needing these fail instead of reporting themselves skipped. */
function requiredEngines(): string[] {
  return (process.env.PARLEY_REQUIRED_ENGINES ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
}

/**
 * Records that a suite did not run because its engine (EventStoreDB, MongoDB, Redis, Chromium …)
 * is not reachable here. test/support/summary-reporter.js prints these lines by name at the end
 * of the run, so a skipped engine is never silent. The file is the handoff because suites run
 * in Jest worker processes and the reporter in the parent.
 */
export function reportSkippedSuite(name: string, reason: string, engine?: LocalEngine): void {
  if (engine !== undefined && requiredEngines().includes(engine)) {
    // CI provides this engine (.ci/run installs Chromium and starts Redis): a skip there would hide a broken setup.
    throw new Error(`${name} must run here (PARLEY_REQUIRED_ENGINES names ${engine}), but: ${reason}`);
  }
  const run = process.env.PARLEY_SKIPPED_SUITES_RUN;
  // Without the summary reporter (a custom --reporters run) nobody would read the file.
  if (run === undefined) return;
  const dir = join(tmpdir(), 'parley-skipped-suites');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${run}-${process.pid}.txt`), `${name}: ${reason.replace(/\s+/g, ' ').trim()}\n`);
}
