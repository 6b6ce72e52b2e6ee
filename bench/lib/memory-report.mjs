// Preloaded into the server by bench/idle-memory.mjs (node --import): on SIGUSR2, after a full GC
// when --expose-gc is on, writes the process's memory and the modules it has loaded to
// $BENCH_MEMORY_REPORT as JSON. Nothing else changes in the server.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';

// The CommonJS module cache (dist/ and its packages are CommonJS): one cache for every require.
const loaded = createRequire(import.meta.url).cache;

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;

process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const packages = {};
  for (const file of Object.keys(loaded)) {
    const at = file.lastIndexOf('node_modules/');
    let name = 'parley';
    if (at >= 0) {
      const parts = file.slice(at + 'node_modules/'.length).split('/');
      name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    }
    packages[name] = (packages[name] ?? 0) + 1;
  }
  const usage = process.memoryUsage();
  writeFileSync(
    process.env.BENCH_MEMORY_REPORT,
    JSON.stringify({
      rssMb: Math.round(kb('VmRSS') / 102.4) / 10,
      rssAnonMb: Math.round(kb('RssAnon') / 102.4) / 10,
      rssFileMb: Math.round(kb('RssFile') / 102.4) / 10,
      heapUsedMb: mb(usage.heapUsed),
      heapTotalMb: mb(usage.heapTotal),
      externalMb: mb(usage.external),
      spacesMb: Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, mb(space.space_used_size)])),
      modules: Object.keys(loaded).length,
      packages: Object.entries(packages).sort((a, b) => b[1] - a[1]),
    }),
  );
});
