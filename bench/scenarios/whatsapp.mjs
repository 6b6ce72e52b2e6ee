// Figure 11 (issue 15): WhatsApp webhook ingest, batches of 100 text messages per request, and
// the share of the time the signature check takes.
//
// Each run starts a fresh server (dist/main.js) on an empty temporary data folder; the admin
// connects WhatsApp to the default inbox over the API (POST /api/inboxes/:id/channels). Then a
// closed loop on `c` keep-alive connections POSTs signed webhook deliveries to
// /channels/whatsapp/webhook, each as Meta sends them (object whatsapp_business_account,
// entry[].changes[].value with metadata.phone_number_id, contacts and messages of type text),
// signed `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the exact body with the app secret>`.
// Every message of a batch comes from its own sender: 60 % a sender new to the inbox (a new
// thread), 40 % one of that connection's earlier senders (a follow-up); every wamid is unique.
// A batch counts when its 200 arrived inside the measuring window.
//
// After each level: the WhatsApp view and All open count the threads started, the event log holds
// exactly one MessageReceived per acknowledged message (read from the database file, read-only),
// and a few batches sent again, byte for byte with their signature (as Meta redelivers), add nothing.
//
// The signature check: in this process, the plugin's own check (dist/plugins/meta/webhook.js
// `signingSecret`, the HMAC-SHA256 of the body compared in constant time) timed over the very bodies
// sent, per batch; set against the server's time per batch (1 / batches per second) and its CPU
// time per batch (/proc/<pid>/stat utime + stime over the window).
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { cpuMs } from '../lib/machine.mjs';
import { Database, dist } from '../lib/parley.mjs';
import { client, startServer } from '../lib/server.mjs';
import { log, main, removeDir, tempDir } from '../lib/scenario.mjs';
import { figure, latencySummary, median } from '../lib/stats.mjs';
import { textSource } from '../lib/text.mjs';

const BATCH = 100;
const NEW_THREAD_SHARE = 0.6;
/** Batches sent again after each level, byte for byte (Meta's redelivery). */
const REPLAYED_BATCHES = 5;
const WEBHOOK_PATH = '/channels/whatsapp/webhook';
/** Meta's example ids (messages webhook reference): the business account and the phone number. */
const BUSINESS_ACCOUNT_ID = '102290129340398';
const PHONE_NUMBER_ID = '106540352242922';
const DISPLAY_PHONE_NUMBER = '15550783881';

const text = textSource(15);

/**
 * A stand-in for the Graph API on loopback, in case the plugin calls Meta while connecting (a
 * template sync, say): every request is counted and answered with an empty success. Text messages
 * need no call to Meta, so the count during the load should stay 0.
 */
async function startGraphStandIn() {
  const counts = { total: 0, paths: new Map() };
  const server = createServer((req, res) => {
    counts.total += 1;
    const path = (req.url ?? '').split('?')[0].replace(/\/\d{6,}/g, '/<id>');
    const key = `${req.method} ${path}`;
    counts.paths.set(key, (counts.paths.get(key) ?? 0) + 1);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(/message_templates/.test(path) ? { data: [], paging: { cursors: {} } } : { success: true, data: [] }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    counts,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** An E.164 number without the +, as WhatsApp's wa_id: a Dutch mobile number per sender. */
const waId = (sender) => String(31_600_000_000 + sender);

/**
 * One webhook delivery in Meta's documented shape: one entry for the business account, one change
 * (field "messages") for the phone number, with a contact and a text message per sender.
 */
function deliveryBody(state, senders) {
  const now = Math.floor(Date.now() / 1000);
  const contacts = [];
  const messages = [];
  for (const sender of senders) {
    state.sequence += 1;
    // Unique per run and message, base64 like Meta's own ids.
    const wamid = `wamid.${Buffer.from(`bench-${state.runTag}-${state.sequence}`).toString('base64')}`;
    contacts.push({ profile: { name: sender.name }, wa_id: sender.waId });
    messages.push({ from: sender.waId, id: wamid, timestamp: String(now), type: 'text', text: { body: text.body(sender.order) } });
  }
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: BUSINESS_ACCOUNT_ID,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: PHONE_NUMBER_ID },
              contacts,
              messages,
            },
            field: 'messages',
          },
        ],
      },
    ],
  });
}

/** `sha256=<hex>`, as Meta signs a delivery with the app's secret. */
const sign = (appSecret, body) => `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;

/** POSTs one signed delivery; answers { status, body, ms }. */
async function post(pool, body, sig) {
  const started = performance.now();
  const res = await pool.request({
    method: 'POST',
    path: WEBHOOK_PATH,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig },
    body,
  });
  const answer = await res.body.text();
  return { status: res.statusCode, body: answer, ms: performance.now() - started };
}

/**
 * `BATCH` distinct senders for one batch of a worker: 60 % new (a new thread), 40 % earlier senders
 * of the same worker (follow-ups). No sender twice in a batch, no sender shared between workers, so
 * the threads written at once never overlap.
 */
function pickSenders(state, senders) {
  const picked = [];
  const used = new Set();
  for (let i = 0; i < BATCH; i += 1) {
    let sender = null;
    if (senders.length > 0 && !text.random.chance(NEW_THREAD_SHARE)) {
      for (let attempt = 0; attempt < 4 && sender === null; attempt += 1) {
        const candidate = senders[text.random.int(senders.length)];
        if (!used.has(candidate)) sender = candidate;
      }
    }
    if (sender === null) {
      state.nextSender += 1;
      const person = text.person(state.nextSender);
      sender = { waId: waId(state.nextSender), name: person.name, order: text.orderNumber(state.nextSender), isNew: true };
    }
    used.add(sender);
    picked.push(sender);
  }
  return picked;
}

/** Runs `connections` closed loops for warmupMs + measureMs; counts only answers inside the window. */
async function load(pool, server, connections, warmupMs, measureMs, state) {
  const latencies = [];
  let batchesInWindow = 0;
  let errors = 0;
  let firstError = null;
  let measuring = false;
  let stopping = false;
  const loop = async (worker) => {
    const senders = state.sendersByWorker.get(worker) ?? [];
    state.sendersByWorker.set(worker, senders);
    while (!stopping) {
      const batch = pickSenders(state, senders);
      const body = deliveryBody(state, batch);
      const sig = sign(state.appSecret, body);
      const res = await post(pool, body, sig);
      if (res.status === 200) {
        state.acknowledged += BATCH;
        for (const sender of batch) {
          if (sender.isNew) {
            sender.isNew = false;
            senders.push(sender);
            state.threadsStarted += 1;
          }
        }
        state.sent.push({ body, sig });
        if (measuring) {
          batchesInWindow += 1;
          latencies.push(res.ms);
        }
      } else {
        errors += 1;
        firstError ??= `${res.status} ${res.body.slice(0, 300)}`;
        if (errors > 20) stopping = true;
      }
    }
  };
  const loops = Array.from({ length: connections }, (_, i) => loop(`${connections}-${i}`));
  await delay(warmupMs);
  const graphBefore = state.graph.counts.total;
  measuring = true;
  const signatureBefore = await signatureMetric(server.baseUrl);
  const cpuBefore = cpuMs(server.pid);
  const windowStart = performance.now();
  await delay(measureMs);
  measuring = false;
  const windowMs = performance.now() - windowStart;
  const cpuAfter = cpuMs(server.pid);
  const signatureAfter = await signatureMetric(server.baseUrl);
  const graphCalls = state.graph.counts.total - graphBefore;
  stopping = true;
  await Promise.all(loops);
  const batchRate = batchesInWindow / (windowMs / 1000);
  return {
    batchRate,
    messageRate: batchRate * BATCH,
    latency: latencySummary(latencies),
    serverCpuMsPerBatch: batchesInWindow > 0 ? (cpuAfter - cpuBefore) / batchesInWindow : NaN,
    serverCpuShare: (cpuAfter - cpuBefore) / windowMs,
    // Mean of the deliveries checked in (about) the window, as the server timed them.
    serverSignatureUs:
      signatureBefore && signatureAfter && signatureAfter.count > signatureBefore.count
        ? ((signatureAfter.sum - signatureBefore.sum) * 1e6) / (signatureAfter.count - signatureBefore.count)
        : NaN,
    graphCalls,
    errors,
    firstError,
  };
}

const SIGNATURE_METRIC = 'parley_plugin_whatsapp_webhook_signature_seconds';

/**
 * The plugin's own timing of its signature check (the histogram it observes around signingSecret
 * for every delivery): { sum (s), count } from GET /metrics, or null when the server has no such metric.
 */
async function signatureMetric(baseUrl) {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) return null;
  const body = await res.text();
  const value = (suffix) => {
    const line = body.split('\n').find((l) => l.startsWith(`${SIGNATURE_METRIC}_${suffix}`) && /^[^ {]+(\{[^}]*\})? /.test(l));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const sum = value('sum');
  const count = value('count');
  return Number.isFinite(sum) && Number.isFinite(count) ? { sum, count } : null;
}

async function viewCounts(api) {
  const body = await api.expect('GET', '/api/views');
  const views = body.views ?? body;
  return { whatsapp: views.find((v) => v.id === 'whatsapp')?.count, allOpen: views.find((v) => v.id === 'all-open')?.count };
}

/** What the event log holds, read-only from the database file (WAL: the server is not blocked). */
function logCounts(databaseFile) {
  const db = new (Database())(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        `SELECT COUNT(*) AS messages, COUNT(DISTINCT json_extract(data, '$.externalMessageId')) AS distinctIds
           FROM events WHERE type = 'MessageReceived'`,
      )
      .get();
    const started = db.prepare(`SELECT COUNT(*) FROM events WHERE type = 'ConversationStarted'`).pluck().get();
    return { messages: row.messages, distinctIds: row.distinctIds, conversations: started };
  } finally {
    db.close();
  }
}

/** Waits (at most 10 s) until the views count every thread started; answers the last counts. */
async function settledViews(api, expected) {
  const waitStart = performance.now();
  let counts = await viewCounts(api);
  while ((counts.whatsapp < expected || counts.allOpen < expected) && performance.now() - waitStart < 10_000) {
    await delay(20);
    counts = await viewCounts(api);
  }
  return { ...counts, afterMs: performance.now() - waitStart };
}

/** After a level: the views, the log, and a replay of earlier batches that must add nothing. */
async function check(api, pool, state) {
  const problems = [];
  const views = await settledViews(api, state.threadsStarted);
  const logged = logCounts(state.databaseFile);
  if (views.whatsapp !== state.threadsStarted) problems.push(`the WhatsApp view counted ${views.whatsapp} of ${state.threadsStarted} threads started`);
  if (views.allOpen !== state.threadsStarted) problems.push(`All open counted ${views.allOpen} of ${state.threadsStarted} threads started`);
  if (logged.conversations !== state.threadsStarted)
    problems.push(`the log holds ${logged.conversations} conversations for ${state.threadsStarted} threads started`);
  if (logged.messages !== state.acknowledged || logged.distinctIds !== state.acknowledged) {
    problems.push(`the log holds ${logged.messages} messages (${logged.distinctIds} distinct ids) for ${state.acknowledged} acknowledged`);
  }
  // Meta redelivers a batch as it was: the same bytes and signature.
  const replays = [];
  for (let i = 0; i < REPLAYED_BATCHES && state.sent.length > 0; i += 1) replays.push(state.sent[text.random.int(state.sent.length)]);
  const replayStatuses = [];
  for (const { body, sig } of replays) replayStatuses.push((await post(pool, body, sig)).status);
  if (replayStatuses.some((s) => s !== 200))
    problems.push(`replayed batches answered ${replayStatuses.join(', ')} (expected 200: Meta would redeliver otherwise)`);
  const afterReplay = logCounts(state.databaseFile);
  const viewsAfterReplay = await viewCounts(api);
  if (afterReplay.messages !== logged.messages || afterReplay.conversations !== logged.conversations) {
    problems.push(
      `${replays.length} replayed batches added ${afterReplay.messages - logged.messages} messages and ${afterReplay.conversations - logged.conversations} conversations`,
    );
  }
  if (viewsAfterReplay.whatsapp !== views.whatsapp)
    problems.push(`the WhatsApp view went from ${views.whatsapp} to ${viewsAfterReplay.whatsapp} after the replay`);
  return { ok: problems.length === 0, problems, views, logged, replayed: replays.length };
}

async function connectWhatsApp(api, graph, appSecret) {
  const inbox = (await api.expect('GET', '/api/inboxes')).inboxes.find((i) => i.isDefault);
  const created = await api.expect('POST', `/api/inboxes/${inbox.id}/channels`, {
    type: 'whatsapp',
    name: 'Bench WhatsApp',
    settings: {
      phoneNumberId: PHONE_NUMBER_ID,
      businessAccountId: BUSINESS_ACCOUNT_ID,
      accessToken: `bench-access-token-${randomBytes(8).toString('hex')}`,
      appSecret,
      verifyToken: `bench-verify-${randomBytes(8).toString('hex')}`,
      graphApiBaseUrl: graph.baseUrl,
    },
  });
  const connection = created.channel ?? created;
  if (!connection?.id) throw new Error(`POST /api/inboxes/${inbox.id}/channels answered no connection id: ${JSON.stringify(created).slice(0, 300)}`);
  return connection;
}

async function oneRun(run, levels, warmupMs, measureMs) {
  const dataDir = tempDir('whatsapp');
  const graph = await startGraphStandIn();
  // The stand-in is on loopback: the outbound guard must let the server reach it.
  const server = await startServer({ dataDir, env: { PARLEY_ALLOW_PRIVATE_NETWORK: 'true' } });
  const api = client(server.baseUrl, { connections: 2 });
  const pool = new Pool(server.baseUrl, { connections: Math.max(...levels), pipelining: 1, keepAliveTimeout: 60_000 });
  const results = [];
  const appSecret = randomBytes(16).toString('hex');
  const state = {
    appSecret,
    graph,
    runTag: `${run}-${randomBytes(4).toString('hex')}`,
    sequence: 0,
    nextSender: 0,
    sendersByWorker: new Map(),
    threadsStarted: 0,
    acknowledged: 0,
    sent: [],
    databaseFile: join(dataDir, 'parley.db'),
  };
  try {
    await api.login();
    await connectWhatsApp(api, graph, appSecret);
    const graphAtConnect = graph.counts.total;
    for (const connections of levels) {
      const result = await load(pool, server, connections, warmupMs, measureMs, state);
      result.check = await check(api, pool, state);
      results.push({ connections, ...result });
      log(
        `${connections} connections: ${result.batchRate.toFixed(1)} batches/s = ${Math.round(result.messageRate)} msg/s, ` +
          `p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms per batch, server CPU ${result.serverCpuMsPerBatch.toFixed(1)} ms per batch; ` +
          `${state.threadsStarted} threads, ${state.acknowledged} messages: ${result.check.ok ? 'views, log and replay check out' : result.check.problems.join('; ')}` +
          `${result.errors ? `; ${result.errors} non-200 answers (${result.firstError})` : ''}`,
      );
    }
    results.graphAtConnect = graphAtConnect;
    results.graphPaths = [...graph.counts.paths].map(([path, n]) => `${path} ×${n}`);
    results.bodyBytes = median(state.sent.slice(0, 200).map((s) => Buffer.byteLength(s.body)));
    // Bodies for the in-process signature timing: the very ones this run sent.
    results.samples = state.sent.slice(-400);
    results.appSecret = appSecret;
  } finally {
    await pool.close();
    await api.close();
    results.peakRssMb = await server.stop();
    await graph.stop();
    removeDir(dataDir);
  }
  return results;
}

/**
 * µs per batch of the plugin's own signature check over `samples` (body bytes and header as sent):
 * a warm-up pass, then passes until at least 1 s was measured.
 */
function timeSignatureCheck(samples, appSecret) {
  const { signingSecret } = dist('plugins/meta/webhook.js');
  const inputs = samples.map(({ body, sig }) => ({ raw: Buffer.from(body, 'utf8'), sig }));
  const secrets = [appSecret];
  const once = () => {
    for (const { raw, sig } of inputs)
      if (signingSecret(raw, sig, secrets) !== appSecret) throw new Error('the signature check refused a body the server accepted');
  };
  for (let i = 0; i < 3; i += 1) once();
  let checks = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    once();
    checks += inputs.length;
  }
  return ((performance.now() - started) * 1000) / checks;
}

main('whatsapp', async ({ quick, runs }) => {
  const levels = quick ? [4] : [4, 16];
  // A batch is 100 messages: the window is longer than the API channel's so that it holds enough of them.
  const warmupMs = quick ? 2000 : 3000;
  const measureMs = quick ? 8000 : 15000;
  const perLevel = new Map(levels.map((c) => [c, { batches: [], messages: [], p50: [], p99: [], cpu: [] }]));
  const best = { batches: [], messages: [], cpuPerBatch: [] };
  const signature = { server: [], bench: [], shareOfTime: [], shareOfCpu: [], benchShareOfCpu: [] };
  const peak = [];
  const bodyBytes = [];
  const notes = [];
  let graphNoted = false;
  for (let run = 1; run <= runs; run += 1) {
    log(`run ${run}/${runs}`);
    const results = await oneRun(run, levels, warmupMs, measureMs);
    peak.push(results.peakRssMb);
    bodyBytes.push(results.bodyBytes);
    for (const r of results) {
      const f = perLevel.get(r.connections);
      f.batches.push(r.batchRate);
      f.messages.push(r.messageRate);
      f.p50.push(r.latency.p50);
      f.p99.push(r.latency.p99);
      f.cpu.push(r.serverCpuMsPerBatch);
      if (!r.check.ok) notes.push(`run ${run}, ${r.connections} connections: ${r.check.problems.join('; ')}`);
      if (r.errors) notes.push(`run ${run}, ${r.connections} connections: ${r.errors} non-200 answers, first: ${r.firstError}`);
      if (r.graphCalls > 0) notes.push(`run ${run}, ${r.connections} connections: the plugin called the Graph API ${r.graphCalls} times during the window`);
    }
    const top = results.reduce((a, b) => (b.batchRate > a.batchRate ? b : a));
    best.batches.push(top.batchRate);
    best.messages.push(top.messageRate);
    best.cpuPerBatch.push(top.serverCpuMsPerBatch);
    // The server's time per batch at the best level (1 / batches per second) and its CPU per batch.
    const timePerBatchUs = 1e6 / top.batchRate;
    const cpuPerBatchUs = top.serverCpuMsPerBatch * 1000;
    const benchUs = timeSignatureCheck(results.samples, results.appSecret);
    signature.server.push(top.serverSignatureUs);
    signature.bench.push(benchUs);
    signature.shareOfTime.push((100 * top.serverSignatureUs) / timePerBatchUs);
    signature.shareOfCpu.push((100 * top.serverSignatureUs) / cpuPerBatchUs);
    signature.benchShareOfCpu.push((100 * benchUs) / cpuPerBatchUs);
    log(
      `signature check per batch (${results.bodyBytes} bytes): ${top.serverSignatureUs.toFixed(1)} µs in the server (its histogram), ${benchUs.toFixed(1)} µs in the bench process; ` +
        `${((100 * top.serverSignatureUs) / timePerBatchUs).toFixed(2)} % of the server's time per batch (${(timePerBatchUs / 1000).toFixed(1)} ms), ` +
        `${((100 * top.serverSignatureUs) / cpuPerBatchUs).toFixed(2)} % of its CPU per batch (${(cpuPerBatchUs / 1000).toFixed(1)} ms)`,
    );
    if (!Number.isFinite(top.serverSignatureUs))
      notes.push(`run ${run}: the server served no ${SIGNATURE_METRIC} on GET /metrics; only the bench-process timing is shown`);
    if (!graphNoted) {
      graphNoted = true;
      notes.push(
        `Graph API stand-in (the plugin syncs the connection's templates when it is created): ${results.graphAtConnect} requests before the load; over the whole run ${results.graphPaths.length ? results.graphPaths.join(', ') : 'none'}`,
      );
    }
    // Checked per level above; this says it held everywhere.
    if (results.every((r) => r.check.ok)) {
      const last = results[results.length - 1].check;
      notes.push(
        `run ${run}: after every level the WhatsApp view and All open counted every thread started (${last.views.whatsapp} at the end), the log held exactly one MessageReceived per acknowledged message (${last.logged.messages}), ` +
          `and ${last.replayed} earlier batches sent again (same bytes and signature) were answered 200 and added nothing`,
      );
    }
  }
  notes.push(
    `load: ${levels.join(' / ')} keep-alive connections (closed loop), ${BATCH} text messages per signed delivery (one entry, one change, ${BATCH} contacts), ` +
      `${Math.round(NEW_THREAD_SHARE * 100)} % of them from new senders; ${warmupMs / 1000} s warm-up + ${measureMs / 1000} s measured per level, one fresh server per run; a delivery is about ${Math.round(median(bodyBytes))} bytes`,
  );
  notes.push(
    `signature check: "in the server" is the mean of the plugin's own ${SIGNATURE_METRIC} histogram (signingSecret: HMAC-SHA256 of the body, constant-time compare) over the deliveries of the best level's window; ` +
      '"in the bench process" times the same signingSecret from dist/ over the bodies the run sent. Shares: against the server\'s time per batch (1 / batches per second at the best level) ' +
      'and against its CPU time per batch (utime + stime of all its threads over the window / batches)',
  );
  const figures = [];
  for (const [c, f] of perLevel) {
    figures.push(
      figure({
        id: `whatsapp.c${c}.batches`,
        label: `WhatsApp webhook batches/s (${BATCH} msgs each), ${c} connections`,
        unit: 'batches/s',
        runs: f.batches,
        digits: 1,
      }),
    );
    figures.push(figure({ id: `whatsapp.c${c}.rate`, label: `WhatsApp webhook msgs/s, ${c} connections`, unit: 'msg/s', runs: f.messages }));
    figures.push(figure({ id: `whatsapp.c${c}.p50`, label: `WhatsApp webhook latency per batch p50, ${c} connections`, unit: 'ms', runs: f.p50, digits: 1 }));
    figures.push(figure({ id: `whatsapp.c${c}.p99`, label: `WhatsApp webhook latency per batch p99, ${c} connections`, unit: 'ms', runs: f.p99, digits: 1 }));
  }
  figures.push(figure({ id: 'whatsapp.best', label: 'WhatsApp webhook msgs/s, best level', unit: 'msg/s', runs: best.messages }));
  figures.push(figure({ id: 'whatsapp.cpu-per-batch', label: 'WhatsApp: server CPU per batch, best level', unit: 'ms', runs: best.cpuPerBatch, digits: 1 }));
  figures.push(
    figure({ id: 'whatsapp.signature.server-us', label: 'WhatsApp: signature check per batch, in the server', unit: 'µs', runs: signature.server, digits: 1 }),
  );
  figures.push(
    figure({
      id: 'whatsapp.signature.bench-us',
      label: 'WhatsApp: signature check per batch, in the bench process',
      unit: 'µs',
      runs: signature.bench,
      digits: 1,
    }),
  );
  figures.push(
    figure({
      id: 'whatsapp.signature.share-time',
      label: 'WhatsApp: signature check (server), share of server time per batch',
      unit: '%',
      runs: signature.shareOfTime,
      digits: 2,
    }),
  );
  figures.push(
    figure({
      id: 'whatsapp.signature.share-cpu',
      label: 'WhatsApp: signature check (server), share of server CPU per batch',
      unit: '%',
      runs: signature.shareOfCpu,
      digits: 2,
    }),
  );
  figures.push(
    figure({
      id: 'whatsapp.signature.bench-share-cpu',
      label: 'WhatsApp: signature check (bench), share of server CPU per batch',
      unit: '%',
      runs: signature.benchShareOfCpu,
      digits: 2,
    }),
  );
  figures.push(figure({ id: 'rss.whatsapp', label: 'Server peak RSS, WhatsApp webhook ingest', unit: 'MB', runs: peak, target: { op: '<=', value: 300 } }));
  return { notes, figures };
});
