#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only=append,ingest] [-- --runs=N]
//
// Runs each scenario (bench/scenarios/*.mjs) in its own child process, one after the other,
// then prints one table (figure, median, min–max over the runs, target, verdict) and writes
// bench/results/<ISO date>.json. Not part of npm test. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAverage, machine } from './lib/machine.mjs';
import { BENCH_ROOT, REPO_ROOT } from './lib/parley.mjs';
import { figure } from './lib/stats.mjs';

const SCENARIOS = ['append', 'ingest', 'commands', 'views', 'replay', 'chat', 'whatsapp'];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const runsArg = args.find((a) => a.startsWith('--runs='));
const unknown = only?.filter((name) => !SCENARIOS.includes(name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const selected = only ?? SCENARIOS;

// The bench's own packages (emmett-sqlite compiles sqlite3 from source, about a minute) live in
// bench/node_modules, installed on first use and never by the root's npm ci.
if (!existsSync(join(BENCH_ROOT, 'node_modules'))) {
  console.log('bench/node_modules is missing: npm ci --prefix bench (emmett-sqlite compiles sqlite3, about a minute)');
  const install = spawnSync('npm', ['ci', '--prefix', BENCH_ROOT, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (install.status !== 0) {
    console.error('npm ci --prefix bench failed (above)');
    process.exit(1);
  }
}

function runScenario(name) {
  const resultFile = join(tmpdir(), `parley-bench-${process.pid}-${name}.json`);
  rmSync(resultFile, { force: true });
  const scenarioArgs = [join(BENCH_ROOT, 'scenarios', `${name}.mjs`), ...(quick ? ['--quick'] : []), ...(runsArg ? [runsArg] : [])];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, scenarioArgs, {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      let result = { scenario: name, error: `exited with ${code} and no result`, figures: [] };
      if (existsSync(resultFile)) {
        result = JSON.parse(readFileSync(resultFile, 'utf8'));
        rmSync(resultFile, { force: true });
      }
      resolve({ ...result, seconds, loadAfter: loadAverage() });
    });
  });
}

function format(value, unit, digits) {
  if (!Number.isFinite(value)) return '–';
  const places = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  const text = value.toLocaleString('en-US', { minimumFractionDigits: places, maximumFractionDigits: places });
  return unit === '×' ? `${text}×` : text;
}

function table(results) {
  const rows = [['Figure', 'Median', 'Min–max', 'Unit', 'Target', 'Verdict']];
  for (const result of results) {
    if (result.error) rows.push([`${result.scenario}: FAILED (${result.error.split('\n')[0].slice(0, 100)})`, '', '', '', '', '']);
    for (const f of result.figures) {
      const target = f.target ? `${f.target.op === '>=' ? '≥' : '≤'} ${format(f.target.value, f.unit, f.unit === '×' ? (f.target.value < 1 ? 2 : 1) : 0)}` : '';
      const spread = f.runs.length > 1 ? `${format(f.min, f.unit, f.digits)}–${format(f.max, f.unit, f.digits)}` : `(1 run)`;
      rows.push([f.label, format(f.median, f.unit, f.digits), spread, f.unit === '×' ? '' : f.unit, target, f.verdict]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)].join(
    '\n',
  );
}

const startedAt = new Date();
const env = machine();
console.log(
  `parley bench${quick ? ' --quick' : ''}: ${selected.join(', ')} on ${env.cpus} CPUs (${env.cpuModel}), ${env.memoryGiB} GiB, Node ${env.node}; load ${env.load.one} / ${env.load.five} / ${env.load.fifteen}`,
);
const git = (...gitArgs) => spawnSync('git', gitArgs, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
// The working tree is what is measured (dist/ is built from it); uncommitted changes are listed.
const commit = {
  head: git('rev-parse', '--short', 'HEAD') || 'unknown',
  uncommitted: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length,
};

const results = [];
for (const name of selected) {
  console.log(`\n== ${name}${quick ? ' (quick)' : ''}`);
  const result = await runScenario(name);
  console.log(`   ${name}: ${result.seconds.toFixed(0)} s, load after ${result.loadAfter.one}`);
  results.push(result);
}

// WhatsApp webhook ingest (100 messages a request) against the API channel's (one a request), when
// both ran: best level against best level, run by run where both have the run, else the medians.
const figureOf = (id) => results.flatMap((r) => r.figures).find((f) => f.id === id);
const whatsappBest = figureOf('whatsapp.best');
const ingestBest = figureOf('ingest.best');
if (whatsappBest && ingestBest && Number.isFinite(whatsappBest.median) && Number.isFinite(ingestBest.median)) {
  const paired = whatsappBest.runs.length === ingestBest.runs.length;
  const runs = paired ? whatsappBest.runs.map((w, i) => w / ingestBest.runs[i]) : [whatsappBest.median / ingestBest.median];
  results
    .find((r) => r.scenario === 'whatsapp')
    .figures.push(
      figure({ id: 'whatsapp.vs-api-ingest', label: 'Ratio WhatsApp webhook msgs/s / API channel msgs/s (best levels)', unit: '×', runs, digits: 2 }),
    );
}

const totalSeconds = (Date.now() - startedAt.getTime()) / 1000;
const ratios = results.flatMap((r) => r.figures).filter((f) => f.id === 'append.vs-emmett' || f.id === 'append.vs-raw' || f.id === 'whatsapp.vs-api-ingest');
console.log(`\n## Parley bench${quick ? ' (--quick)' : ''}, ${startedAt.toISOString()}, ${totalSeconds.toFixed(0)} s\n`);
console.log(table(results));
if (ratios.length > 0) {
  console.log(`\nRatios: ${ratios.map((f) => `${f.label.replace('Ratio ', '')} = ${format(f.median, '×', f.id === 'append.vs-emmett' ? 1 : 2)}`).join('; ')}`);
}
const notes = results.flatMap((r) => [...(r.size ? [`${r.scenario}: measured at ${r.size}`] : []), ...(r.notes ?? []).map((n) => `${r.scenario}: ${n}`)]);
if (notes.length > 0) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
const loadEnd = loadAverage();
console.log(
  `\nMachine: ${env.cpus} CPUs, ${env.memoryGiB} GiB, Node ${env.node}; load average at start ${env.load.one}, at end ${loadEnd.one}; code at ${commit.head}${commit.uncommitted ? ` + ${commit.uncommitted} uncommitted files in src/` : ''}`,
);

const resultsDir = join(BENCH_ROOT, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = join(
  resultsDir,
  `${startedAt
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z')}${quick ? '-quick' : ''}.json`,
);
writeFileSync(
  file,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), quick, totalSeconds, machine: env, loadAtEnd: loadEnd, git: commit, command: `npm run bench${quick ? ' -- --quick' : ''}`, scenarios: results }, null, 2)}\n`,
);
console.log(`Results written to ${file.slice(REPO_ROOT.length + 1)}`);
if (results.some((r) => r.error)) process.exitCode = 1;
