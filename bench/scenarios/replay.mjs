// Figures 5 and 6: a full rebuild of every read model, as an operator runs it: `parley replay`
// (dist/cli/parley.js) on a copy-free cached dataset, with no server running. The CLI projects
// the whole log into a fresh file with the server's own ProjectionRunner and projections, then
// swaps it in (one transaction). Rebuild events/s = events / projection time as the CLI reports
// it; the swap is timed apart. Peak RSS is the CLI process's.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { CACHE_DIR, datasetKey, ensureDataset, FULL_SIZE, REPLAY_SIZE } from '../lib/dataset.mjs';
import { watchPeakMemory } from '../lib/machine.mjs';
import { DIST, REPO_ROOT } from '../lib/parley.mjs';
import { human, log, main } from '../lib/scenario.mjs';
import { figure } from '../lib/stats.mjs';

function replay(dataDir) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(DIST, 'cli', 'parley.js'), '--data-dir', dataDir, 'replay'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const memory = watchPeakMemory(child.pid, 100);
    let output = '';
    let rebuiltAt = null;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (rebuiltAt === null && /rebuilt the read models/.test(output)) rebuiltAt = performance.now();
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const peakMb = memory.stop();
      const totalSeconds = (performance.now() - started) / 1000;
      const match = /rebuilt the read models from (\d+) events in ([\d.]+) s/.exec(output);
      if (code !== 0 || !match) return reject(new Error(`parley replay exited ${code}:\n${output.slice(-2000)}`));
      const events = Number(match[1]);
      const seconds = Number(match[2]);
      resolve({
        events,
        seconds,
        rate: events / seconds,
        swapSeconds: rebuiltAt === null ? NaN : (performance.now() - rebuiltAt) / 1000,
        totalSeconds,
        peakMb,
      });
    });
  });
}

main('replay', async ({ quick, runs }) => {
  const conversations = Number(process.env.BENCH_REPLAY_CONVERSATIONS ?? (quick ? REPLAY_SIZE.quick : REPLAY_SIZE.full));
  const { dataDir, meta } = await ensureDataset({ conversations, log });
  const rates = [];
  const swaps = [];
  const peaks = [];
  let events = 0;
  for (let run = 1; run <= (quick ? 1 : runs); run += 1) {
    const result = await replay(dataDir);
    events = result.events;
    rates.push(result.rate);
    swaps.push(result.swapSeconds);
    peaks.push(result.peakMb);
    log(
      `run ${run}: ${result.events} events rebuilt in ${result.seconds.toFixed(1)} s = ${Math.round(result.rate)} events/s; swap ${result.swapSeconds.toFixed(1)} s; peak RSS ${result.peakMb.toFixed(0)} MB`,
    );
  }
  const size = `${human(meta.conversations)} conversations / ${human(events)} events`;
  const figures = [];
  // The full-size dataset is projected once, when it is generated: the same runner and projections.
  const fullMeta = join(CACHE_DIR, datasetKey({ conversations: FULL_SIZE, messagesPerConversation: 10 }), 'dataset.json');
  if (!quick && existsSync(fullMeta)) {
    const full = JSON.parse(readFileSync(fullMeta, 'utf8'));
    if (full.complete) {
      figures.push(
        figure({
          id: 'replay.generation',
          label: `Projection events/s at generation (${human(full.conversations)} conversations / ${human(full.events)} events, ${full.createdAt.slice(0, 10)})`,
          unit: 'events/s',
          runs: [full.timings.projectEventsPerSecond],
          target: { op: '>=', value: 50_000 },
        }),
      );
    }
  }
  return {
    size,
    notes: [`parley replay on ${size}, no server running; the events are read from the log, projected into a new file, then swapped in`],
    figures: [
      figure({ id: 'replay.rate', label: `Rebuild events/s (parley replay, ${size})`, unit: 'events/s', runs: rates, target: { op: '>=', value: 50_000 } }),
      ...figures,
      figure({ id: 'replay.swap', label: 'Replay swap-in time', unit: 's', runs: swaps, digits: 1 }),
      figure({ id: 'rss.replay', label: 'Peak RSS, parley replay', unit: 'MB', runs: peaks, target: { op: '<=', value: 300 } }),
    ],
  };
});
