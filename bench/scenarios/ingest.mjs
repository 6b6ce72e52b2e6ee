// Figures 1, 3 and 6: inbound messages per second through the API channel over HTTP at
// increasing concurrency, their latency, the projection lag under that load, and the server's
// peak RSS. Each run starts a fresh server (dist/main.js) on an empty temporary data folder.
//
// A message counts when its 2xx answer arrived within the measuring window; commands answer once
// the read models include them (read-your-writes), and after each level the All open count is
// checked to equal the conversations started so far (visible in All open).
// Load: closed loop, `c` connections each sending its next message when the last was answered;
// 60 % of messages start a new thread, 40 % answer one of that connection's earlier threads.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startLagSampler } from '../lib/lag-sampler.mjs';
import { cpuMs } from '../lib/machine.mjs';
import { Database } from '../lib/parley.mjs';
import { client, startCeilingServer, startServer } from '../lib/server.mjs';
import { log, main, removeDir, tempDir } from '../lib/scenario.mjs';
import { figure, latencySummary, median, weightedPercentile } from '../lib/stats.mjs';
import { textSource } from '../lib/text.mjs';

const text = textSource(7);

function message(thread, index) {
  return {
    externalThreadId: thread.id,
    externalMessageId: `${thread.id}-${index}`,
    from: thread.from,
    subject: thread.subject,
    text: text.body(thread.order),
  };
}

/**
 * What the log gained in a window, read from the server's SQLite file (read-only, WAL): the new
 * conversations, and the contact records and companies the contact-records process manager made for
 * them. Null when the log is not in that file (EVENT_STORE=eventstoredb).
 */
function logCounter(databaseFile) {
  const db = new (Database())(databaseFile, { readonly: true, fileMustExist: true });
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get()) {
    db.close();
    return null;
  }
  const head = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  const counts = db.prepare(
    "SELECT type, COUNT(*) AS n FROM events WHERE position > ? AND position <= ? AND type IN ('ConversationStarted', 'ContactCreated', 'CompanyCreated') GROUP BY type",
  );
  return {
    head: () => head.get(),
    between(after, upTo) {
      const n = Object.fromEntries(counts.all(after, upTo).map((row) => [row.type, row.n]));
      return { conversations: n.ConversationStarted ?? 0, contacts: n.ContactCreated ?? 0, companies: n.CompanyCreated ?? 0 };
    },
    close: () => db.close(),
  };
}

/** Runs `connections` closed loops for warmupMs + measureMs; counts only answers inside the window. */
async function load(api, connections, warmupMs, measureMs, state) {
  const latencies = [];
  let ok = 0;
  let errors = 0;
  let firstError = null;
  let measuring = false;
  let stopping = false;
  const loop = async (worker) => {
    const threads = state.threadsByWorker.get(worker) ?? [];
    state.threadsByWorker.set(worker, threads);
    while (!stopping) {
      let thread;
      if (threads.length === 0 || text.random.chance(0.6)) {
        const person = text.person(text.random.int(50_000));
        const order = text.orderNumber(state.started + 1_000_000);
        thread = {
          id: `ingest-${randomUUID()}`,
          from: { address: person.address, name: person.name },
          subject: text.subject(order),
          order,
          sent: 0,
          isNew: true,
        };
      } else {
        thread = threads[text.random.int(threads.length)];
      }
      const started = performance.now();
      const res = await api.request('POST', '/api/channels/api/messages', message(thread, thread.sent));
      const ms = performance.now() - started;
      if (res.status === 201 || res.status === 200) {
        thread.sent += 1;
        if (thread.isNew) {
          thread.isNew = false;
          threads.push(thread);
          state.started += 1;
        }
        if (measuring) {
          ok += 1;
          latencies.push(ms);
        }
      } else {
        errors += 1;
        firstError ??= `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        if (errors > 100) stopping = true;
      }
    }
  };
  const loops = Array.from({ length: connections }, (_, i) => loop(`${connections}-${i}`));
  await delay(warmupMs);
  measuring = true;
  const windowStart = performance.now();
  // The ceiling has no database to watch: no lag there.
  const sampler = state.databaseFile ? startLagSampler(state.databaseFile) : null;
  const counter = state.databaseFile ? logCounter(state.databaseFile) : null;
  const headBefore = counter?.head() ?? 0;
  const cpuBefore = cpuMs(state.pid);
  await delay(measureMs);
  measuring = false;
  const windowMs = performance.now() - windowStart;
  // Committed in the window: new conversations, and the contact records made for them meanwhile.
  const records = counter ? counter.between(headBefore, counter.head()) : null;
  counter?.close();
  // The server's CPU (utime + stime, all its threads) per answer in the window: steadier than the
  // rate on a machine whose 2 cores the load generator shares.
  const cpuUsPerMessage = ok > 0 ? ((cpuMs(state.pid) - cpuBefore) * 1000) / ok : NaN;
  const lag = sampler ? await sampler.stop() : { samples: [] };
  stopping = true;
  await Promise.all(loops);
  const perSecond = (n) => n / (windowMs / 1000);
  const logged = records && { ...records, conversationsPerS: perSecond(records.conversations), contactsPerS: perSecond(records.contacts) };
  return { rate: ok / (windowMs / 1000), cpuUsPerMessage, latency: latencySummary(latencies), errors, firstError, lag, records: logged };
}

async function allOpenCount(api) {
  const body = await api.expect('GET', '/api/views');
  return (body.views ?? body).find((v) => v.id === 'all-open').count;
}

async function oneRun(levels, warmupMs, measureMs) {
  const dataDir = tempDir('ingest');
  const server = await startServer({ dataDir });
  const api = client(server.baseUrl, { connections: Math.max(...levels) });
  const results = [];
  try {
    await api.login();
    const state = { threadsByWorker: new Map(), started: 0, databaseFile: join(dataDir, 'parley.db'), pid: server.pid };
    for (const connections of levels) {
      const result = await load(api, connections, warmupMs, measureMs, state);
      const waitStart = performance.now();
      let visible = await allOpenCount(api);
      while (visible < state.started && performance.now() - waitStart < 10_000) {
        await delay(20);
        visible = await allOpenCount(api);
      }
      result.visibleAfterMs = performance.now() - waitStart;
      result.visibleOk = visible === state.started;
      result.expected = state.started;
      result.visible = visible;
      results.push({ connections, ...result });
      log(
        `${connections} connections: ${Math.round(result.rate)} msg/s, ${Math.round(result.cpuUsPerMessage)} µs server CPU per message, p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms, ` +
          `lag p99 ${weightedPercentile(result.lag.samples, 0.99).toFixed(1)} ms (search ${weightedPercentile(result.lag.searchSamples ?? [], 0.99).toFixed(1)} ms), all-open ${visible}/${state.started}${result.errors ? `, ${result.errors} errors (${result.firstError})` : ''}` +
          (result.records
            ? `; in the window ${result.records.conversations} new conversations (${Math.round(result.records.conversationsPerS)}/s), ${result.records.contacts} contact records (${Math.round(result.records.contactsPerS)}/s), ${result.records.companies} companies`
            : ''),
      );
    }
  } finally {
    await api.close();
    const peak = await server.stop();
    results.peakRssMb = peak;
    removeDir(dataDir);
  }
  results.ceiling = await ceilingRun(levels, warmupMs, measureMs);
  return results;
}

/**
 * The HTTP ceiling in the same run: a trivial NestJS + Fastify JSON POST handler (ceiling-server.mjs),
 * its own process, after Parley's server stopped, driven by the same load generator with the same
 * messages at the same levels. Answers req/s and CPU µs per request, per level.
 */
async function ceilingRun(levels, warmupMs, measureMs) {
  const server = await startCeilingServer();
  const api = client(server.baseUrl, { connections: Math.max(...levels) });
  const rates = new Map();
  const cpu = new Map();
  try {
    const state = { threadsByWorker: new Map(), started: 0, databaseFile: null, pid: server.pid };
    for (const connections of levels) {
      const result = await load(api, connections, warmupMs, measureMs, state);
      if (result.errors) throw new Error(`the HTTP ceiling answered ${result.errors} non-2xx, first: ${result.firstError}`);
      rates.set(connections, result.rate);
      cpu.set(connections, result.cpuUsPerMessage);
      log(
        `HTTP ceiling, ${connections} connections: ${Math.round(result.rate)} req/s, ${Math.round(result.cpuUsPerMessage)} µs CPU per request, p50 ${result.latency.p50.toFixed(1)} ms`,
      );
    }
  } finally {
    await api.close();
    await server.stop();
  }
  return { rates, cpu };
}

main('ingest', async ({ quick, runs }) => {
  const levels = quick ? [16, 64] : [8, 32, 128];
  const warmupMs = quick ? 1000 : 2000;
  const measureMs = quick ? 4000 : 8000;
  const perLevel = new Map(
    levels.map((c) => [c, { rate: [], p50: [], p99: [], lag50: [], lag99: [], searchLag99: [], contactsPerS: [], conversationsPerS: [] }]),
  );
  const peak = [];
  const best = [];
  const ceilings = new Map(levels.map((c) => [c, []]));
  const ceilingBest = [];
  const ratios = [];
  const cpuPerMessage = [];
  const ceilingCpu = [];
  const notes = [];
  for (let run = 1; run <= runs; run += 1) {
    log(`run ${run}/${runs}`);
    const results = await oneRun(levels, warmupMs, measureMs);
    peak.push(results.peakRssMb);
    best.push(Math.max(...results.map((r) => r.rate)));
    for (const [c, rate] of results.ceiling.rates) ceilings.get(c).push(rate);
    // Both at their best level of this run: what Parley ingests against what the bare framework answers.
    ceilingBest.push(Math.max(...results.ceiling.rates.values()));
    const top = results.reduce((a, b) => (b.rate > a.rate ? b : a));
    cpuPerMessage.push(top.cpuUsPerMessage);
    ceilingCpu.push(results.ceiling.cpu.get(top.connections));
    ratios.push(best[best.length - 1] / ceilingBest[ceilingBest.length - 1]);
    for (const r of results) {
      const f = perLevel.get(r.connections);
      f.rate.push(r.rate);
      f.p50.push(r.latency.p50);
      f.p99.push(r.latency.p99);
      f.lag50.push(weightedPercentile(r.lag.samples, 0.5));
      f.lag99.push(weightedPercentile(r.lag.samples, 0.99));
      f.searchLag99.push(weightedPercentile(r.lag.searchSamples ?? [], 0.99));
      if (r.records) {
        f.contactsPerS.push(r.records.contactsPerS);
        f.conversationsPerS.push(r.records.conversationsPerS);
      }
      if (!r.visibleOk) notes.push(`run ${run}, ${r.connections} connections: All open showed ${r.visible} of ${r.expected} conversations 10 s after the load`);
      if (r.errors) notes.push(`run ${run}, ${r.connections} connections: ${r.errors} non-2xx answers, first: ${r.firstError}`);
    }
  }
  notes.push(
    `load: ${levels.join(' / ')} keep-alive connections (closed loop), ${warmupMs / 1000} s warm-up + ${measureMs / 1000} s measured per level, one fresh server per run; 60 % new threads`,
  );
  const figures = [];
  for (const [c, f] of perLevel) {
    figures.push(figure({ id: `ingest.c${c}.rate`, label: `Ingest msgs/s, ${c} connections`, unit: 'msg/s', runs: f.rate }));
    figures.push(figure({ id: `ingest.c${c}.p50`, label: `Ingest latency p50, ${c} connections`, unit: 'ms', runs: f.p50, digits: 1 }));
    figures.push(figure({ id: `ingest.c${c}.p99`, label: `Ingest latency p99, ${c} connections`, unit: 'ms', runs: f.p99, digits: 1 }));
  }
  figures.push(figure({ id: 'ingest.best', label: 'Ingest msgs/s, best level', unit: 'msg/s', runs: best, target: { op: '>=', value: 5000 } }));
  for (const [c, runsOf] of ceilings) {
    figures.push(
      figure({ id: `ceiling.c${c}.rate`, label: `HTTP ceiling (trivial NestJS + Fastify POST) req/s, ${c} connections`, unit: 'req/s', runs: runsOf }),
    );
  }
  figures.push(figure({ id: 'ceiling.best', label: 'HTTP ceiling req/s, best level', unit: 'req/s', runs: ceilingBest }));
  figures.push(
    figure({
      id: 'ingest.ceiling-ratio',
      label: 'Ingest / HTTP ceiling, best levels',
      unit: '×',
      runs: ratios,
      target: { op: '>=', value: 0.25 },
      digits: 3,
    }),
  );
  figures.push(
    figure({ id: 'ingest.cpu-per-message', label: 'Server CPU per message, best ingest level', unit: 'µs', runs: cpuPerMessage }),
    figure({ id: 'ceiling.cpu-per-request', label: 'HTTP ceiling CPU per request, same level', unit: 'µs', runs: ceilingCpu }),
  );
  notes.push('CPU per message: utime + stime of the server process (all threads) over the measured window / answers in it');
  notes.push('HTTP ceiling: bench/lib/ceiling-server.mjs, its own process after the server stopped, the same load generator, messages and levels');
  // Lag under the heaviest load of the run.
  const heaviest = perLevel.get(levels[levels.length - 1]);
  figures.push(
    figure({ id: 'lag.p50', label: `Projection lag p50, views (${levels[levels.length - 1]} connections)`, unit: 'ms', runs: heaviest.lag50, digits: 1 }),
  );
  figures.push(
    figure({
      id: 'lag.p99',
      label: `Projection lag p99, views (${levels[levels.length - 1]} connections)`,
      unit: 'ms',
      runs: heaviest.lag99,
      target: { op: '<=', value: 100 },
      digits: 1,
    }),
  );
  figures.push(
    figure({
      id: 'lag.search.p99',
      label: `Search index lag p99 (${levels[levels.length - 1]} connections; searches wait for it)`,
      unit: 'ms',
      runs: heaviest.searchLag99,
      digits: 1,
    }),
  );
  // Nearly every new thread comes from a new sender (50,000 people): a manager that keeps up makes about as many contacts as conversations start.
  if (heaviest.contactsPerS.length > 0) {
    figures.push(
      figure({
        id: 'ingest.contacts-per-s',
        label: `Contact records made per s (${levels[levels.length - 1]} connections)`,
        unit: '/s',
        runs: heaviest.contactsPerS,
      }),
      figure({
        id: 'ingest.conversations-per-s',
        label: `New conversations per s (${levels[levels.length - 1]} connections)`,
        unit: '/s',
        runs: heaviest.conversationsPerS,
      }),
    );
  }
  const allLag99 = [...perLevel.values()].map((f) => median(f.lag99));
  notes.push(`projection lag p99 by level (median of runs): ${levels.map((c, i) => `${c}: ${allLag99[i].toFixed(1)} ms`).join(', ')}`);
  figures.push(figure({ id: 'rss.ingest', label: 'Server peak RSS, ingest', unit: 'MB', runs: peak, target: { op: '<=', value: 300 } }));
  return { notes, figures };
});
