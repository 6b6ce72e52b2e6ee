// What every scenario shares: its options from the command line, progress on stderr, and its
// result (figures and notes) handed to run.mjs as JSON in the file named by BENCH_RESULT_FILE.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function options() {
  const quick = process.argv.includes('--quick');
  const runsArg = process.argv.find((a) => a.startsWith('--runs='));
  return { quick, runs: runsArg ? Number(runsArg.slice(7)) : quick ? 2 : 3 };
}

export function log(message) {
  process.stderr.write(`  ${message}\n`);
}

export function tempDir(label) {
  return mkdtempSync(join(tmpdir(), `parley-bench-${label}-`));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes the scenario's result for run.mjs (or prints it when run alone). */
export function report(result) {
  const file = process.env.BENCH_RESULT_FILE;
  const json = JSON.stringify(result, null, 2);
  if (file) writeFileSync(file, json);
  else process.stdout.write(`${json}\n`);
}

/** Runs the scenario's main, reporting a failure as a result with the error so the table says so. */
export async function main(name, body) {
  try {
    report({ scenario: name, ...(await body(options())) });
  } catch (error) {
    process.stderr.write(`${error.stack ?? error}\n`);
    report({ scenario: name, error: String(error.message ?? error), figures: [] });
    process.exitCode = 1;
  }
}

export const round = (value, digits = 1) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value);

/** 1000000 -> "1 M", 1234567 -> "1.2 M", 50000 -> "50 k", 999 -> "999". */
export function human(n) {
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1))} M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)} k`;
  return String(n);
}
