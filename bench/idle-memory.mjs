#!/usr/bin/env node
// node bench/idle-memory.mjs [--runs=N] [--packages]
//
// The idle server's memory (issue 17): starts the real server (dist/, the flags `npm start` gives
// it, or BENCH_SERVER_NODE_OPTIONS; BENCH_DIST for another build) on an empty data folder, waits
// 3 s after /health, and prints its RSS, then (after a full GC) heap used, heap total, external
// memory and how many modules it loaded; --packages adds the 25 packages with the most modules.
// No load is generated, so it needs no bench lock.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { SERVER_NODE_FLAGS, startServer } from './lib/server.mjs';
import { BENCH_ROOT } from './lib/parley.mjs';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 2);
const flags = process.env.BENCH_SERVER_NODE_OPTIONS ?? SERVER_NODE_FLAGS;
// The server's own flags, plus what the report needs: a full GC before heap figures, and the preload.
process.env.BENCH_SERVER_NODE_OPTIONS = `${flags} --expose-gc --import ${pathToFileURL(join(BENCH_ROOT, 'lib', 'memory-report.mjs')).href}`;

console.log(`server flags: ${flags || '(none)'}`);
for (let run = 1; run <= runs; run += 1) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-idle-'));
  const report = join(dataDir, 'memory-report.json');
  process.env.BENCH_SERVER_ENV = `${process.env.BENCH_SERVER_ENV ?? ''} BENCH_MEMORY_REPORT=${report}`;
  const server = await startServer({ dataDir });
  try {
    await delay(3000);
    const idle = server.memory();
    process.kill(server.pid, 'SIGUSR2');
    let memory = null;
    for (let waited = 0; memory === null && waited < 10_000; waited += 100) {
      await delay(100);
      try {
        memory = JSON.parse(readFileSync(report, 'utf8'));
      } catch {
        memory = null;
      }
    }
    if (memory === null) throw new Error('the server wrote no memory report within 10 s');
    console.log(
      `run ${run}: idle RSS ${idle.rssMb.toFixed(1)} MB; after a full GC: RSS ${memory.rssMb} MB, heap used ${memory.heapUsedMb} MB, ` +
        `heap total ${memory.heapTotalMb} MB, external ${memory.externalMb} MB, ${memory.modules} modules`,
    );
    if (args.includes('--packages'))
      console.log(
        memory.packages
          .slice(0, 25)
          .map(([name, count]) => `${name} ${count}`)
          .join(', '),
      );
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
