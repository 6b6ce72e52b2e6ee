// Figures 4 and 6: list, count and search latency over HTTP on a large generated inbox
// (bench/lib/dataset.mjs: written through the event store, projected by the real runner), and
// the server's peak RSS while answering them.
//
// The server starts on the cached data folder; every query is sent once to warm up, then
// `samples` times per run, one at a time (latency without queueing), as the admin (who has
// conversations assigned, so "Assigned to me" is not empty). Pages are the default 50 items.
import { ensureDataset, FULL_SIZE, QUICK_SIZE } from '../lib/dataset.mjs';
import { client, startServer } from '../lib/server.mjs';
import { human, log, main } from '../lib/scenario.mjs';
import { figure, latencySummary, median } from '../lib/stats.mjs';
import { dist, parley } from '../lib/parley.mjs';

const VIEW_IDS = [
  'unassigned',
  'assigned-to-me',
  'all-open',
  'chat',
  'email',
  'messenger',
  'whatsapp',
  'forms',
  'bots',
  'all-closed',
  'sent',
  'spam',
  'filtered',
  'trash',
];

function searches(meta) {
  const order = meta.samples.orders[Math.floor(meta.samples.orders.length / 2)];
  const contact = meta.samples.contacts[0];
  const agent = meta.agentIds.find((id) => id !== meta.adminId) ?? meta.adminId;
  return [
    ['common word', { q: 'order' }],
    ['common word, open, email', { q: 'order', status: 'open', channel: 'email' }],
    ['two common words', { q: 'refund delivery' }],
    ['common word, closed, one month', { q: 'payment', status: 'closed', from: '2025-06-01', to: '2025-06-30' }],
    ['prefix "refu"', { q: 'refu' }],
    ['rare: order number', { q: order }],
    ['rare: order number, closed, chat', { q: order, status: 'closed', channel: 'chat' }],
    ['rare: contact address', { q: contact.address }],
    ['rare + common, relevance', { q: `${order} order`, sort: 'relevance' }],
    ['filters only: assignee, open', { assignee: agent, status: 'open' }],
  ];
}

const query = (params) => new URLSearchParams(params).toString();

async function timed(api, path, results) {
  const res = await api.request('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  results?.push(res.ms);
  return res.body;
}

main('views', async ({ quick, runs }) => {
  const conversations = Number(process.env.BENCH_VIEWS_CONVERSATIONS ?? (quick ? QUICK_SIZE : FULL_SIZE));
  const samples = quick ? 15 : 40;
  const { dataDir, meta } = await ensureDataset({ conversations, log });
  const size = `${human(meta.conversations)} conversations / ${human(meta.messages)} messages`;
  const startedAt = performance.now();
  const server = await startServer({ dataDir, healthTimeoutMs: 30 * 60_000 });
  const startupSeconds = (performance.now() - startedAt) / 1000;
  log(`server started on ${size} in ${startupSeconds.toFixed(1)} s`);
  const api = client(server.baseUrl, { connections: 1 });
  const figures = [];
  const customViews = [];
  const notes = [
    `dataset: ${meta.conversations} conversations, ${meta.messages} messages, ${meta.events} events, ${(meta.databaseBytes / 2 ** 30).toFixed(2)} GiB (generated ${meta.createdAt} in ${meta.timings.totalSeconds.toFixed(0)} s: appends ${meta.timings.appendEventsPerSecond} events/s, projection ${meta.timings.projectEventsPerSecond} events/s)`,
    `${samples} sequential requests per query and run after one warm-up pass; server start on the dataset took ${startupSeconds.toFixed(1)} s`,
  ];
  try {
    await api.login();
    const listing = await timed(api, '/api/views');
    const custom = listing.views.filter((v) => v.custom);
    customViews.push(...custom);
    const items = [
      ...VIEW_IDS.map((id) => ({ kind: 'list', name: id, path: `/api/views/${id}/conversations` })),
      ...custom.map((v) => ({ kind: 'list', name: `custom "${v.name}"`, path: `/api/views/${v.id}/conversations` })),
      { kind: 'count', name: `all view counts (${VIEW_IDS.length} built-in + ${custom.length} custom)`, path: '/api/views' },
      ...searches(meta).map(([name, params]) => ({ kind: 'search', name, path: `/api/conversations?${query(params)}` })),
    ];
    // Second pages: through the cursor of each list's first page.
    for (const item of items.filter((i) => i.kind === 'list')) {
      const first = await timed(api, item.path);
      if (first.nextCursor) items.push({ kind: 'next', name: item.name, path: `${item.path}?cursor=${encodeURIComponent(first.nextCursor)}` });
    }
    const perItem = new Map(items.map((item) => [item, { p50: [], p95: [] }]));
    const nextPages = { p50: [], p95: [] };
    for (const item of items) await timed(api, item.path); // warm-up
    for (let run = 1; run <= runs; run += 1) {
      const next = [];
      for (const item of items) {
        const latencies = [];
        for (let i = 0; i < samples; i += 1) await timed(api, item.path, latencies);
        if (item.kind === 'next') next.push(...latencies);
        const summary = latencySummary(latencies);
        perItem.get(item).p50.push(summary.p50);
        perItem.get(item).p95.push(summary.p95);
      }
      const nextSummary = latencySummary(next);
      nextPages.p50.push(nextSummary.p50);
      nextPages.p95.push(nextSummary.p95);
      const worst = (kind) => Math.max(...items.filter((i) => i.kind === kind).map((i) => perItem.get(i).p95[run - 1]));
      log(`run ${run}: worst p95 list ${worst('list').toFixed(1)} ms, search ${worst('search').toFixed(1)} ms, counts ${worst('count').toFixed(1)} ms`);
    }
    for (const item of items) {
      if (item.kind === 'next') continue;
      const { p50, p95 } = perItem.get(item);
      const target = item.kind === 'list' ? { op: '<=', value: 10 } : item.kind === 'search' ? { op: '<=', value: 50 } : null;
      const label = item.kind === 'list' ? `List ${item.name}` : item.kind === 'count' ? `Counts: ${item.name}` : `Search: ${item.name}`;
      figures.push(
        figure({ id: `${item.kind}.${item.name}`, label: `${label} p95 (p50 ${median(p50).toFixed(1)})`, unit: 'ms', runs: p95, target, digits: 1 }),
      );
    }
    figures.push(
      figure({
        id: 'list.next-pages',
        label: `List, second pages of every view p95 (p50 ${median(nextPages.p50).toFixed(1)})`,
        unit: 'ms',
        runs: nextPages.p95,
        target: { op: '<=', value: 10 },
        digits: 1,
      }),
    );
  } finally {
    await api.close();
    const peak = await server.stop();
    figures.push(figure({ id: 'rss.views', label: 'Server peak RSS, views and search', unit: 'MB', runs: [peak], target: { op: '<=', value: 300 } }));
  }
  figures.push(...recomputedCounts(dataDir, customViews, runs, quick ? 3 : 5));
  notes.push(
    '"recomputed" counts: the server keeps a count while nothing changes (and recounts a slow one at most every 5 s while the inbox changes); these time the count itself, in-process on the same file, with nothing kept',
  );
  return { notes, size, figures };
});

/**
 * What a custom view's count costs when it is actually counted (the server answers a repeated
 * count from memory until the read models change): a new search object per count, on a
 * read-only connection to the dataset, after the server stopped.
 */
function recomputedCounts(dataDir, customViews, runs, samples) {
  const p = parley();
  const { SqliteConversationSearch } = dist('infrastructure/read-store/sqlite-conversation-search.js');
  const { parseConversationFilters } = dist('application/search/conversation-filters.js');
  const db = p.openDatabase(p.databaseFile(dataDir), { synchronous: 'NORMAL', readonly: true });
  try {
    return customViews.map((view) => {
      const parsed = parseConversationFilters(view.filters);
      if (!parsed.ok) throw new Error(`custom view ${view.name}: ${parsed.errors.join('; ')}`);
      const perRun = [];
      for (let run = 0; run < runs; run += 1) {
        const latencies = [];
        for (let i = 0; i < samples; i += 1) {
          const started = performance.now();
          new SqliteConversationSearch(db).count(view.inboxId, parsed.value.filters);
          latencies.push(performance.now() - started);
        }
        perRun.push(median(latencies));
      }
      return figure({
        id: `count.recomputed.${view.name}`,
        label: `Counts: custom "${view.name}", recomputed (p50)`,
        unit: 'ms',
        runs: perRun,
        target: null,
        digits: 1,
      });
    });
  } finally {
    db.close();
  }
}
