// Figures 8–10 (issue 13) and chat's share of issue 17: the website chat with N visitors connected
// at once (1,000, quick too: issue 17's memory target is set at 1,000, and the ingest loop needs
// enough visitors to stay within each visitor's message limit of 1/s with a burst of 20).
// The real server on a fresh data folder; the admin connects the chat channel to the default inbox
// over the API (POST /api/inboxes/:id/channels), then N visitors each open a session
// (POST /channels/chat/c/:cid/session), keep the visitor event stream open
// (GET /channels/chat/c/:cid/events?token=, server-sent events) and start a conversation with one
// message. One agent screen listens to the inbox's notices (GET /events?inboxId=, bearer session).
// Then, per run, two open-loop phases at a steady rate, on every visitor in turn:
//   (a) visitor message -> agent screen: from sending the visitor's POST .../messages to the
//       agent stream's `change` notice (MessageReceived) for that visitor's conversation;
//   (b) agent reply -> visitor: from sending POST /api/conversations/:id/replies to the visitor
//       stream's `message` event carrying that reply's text.
//   (c) chat ingest (issue 17): visitors' messages through the same public route, in a closed loop
//       at the API channel's levels and windows (ingest.mjs), every request from the next idle
//       visitor on that visitor's own connection and address; messages per second, server CPU per
//       message, and the agent stream checked to announce every acknowledged message.
// After the server stopped, the HTTP ceiling (ceiling-server.mjs, its route shaped like the visitor
// route) is driven once per run by the same loop, visitors, addresses and levels: chat ingest /
// ceiling is printed per run against the 0.25 of issue 17.
// The server's peak RSS (VmHWM) is read with every visitor connected. Every visitor connects from
// its own loopback address (127.1.x.y), as visitors of a website come from their own addresses,
// so the per-IP limits of the public visitor routes apply as they would in production.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { cpuMs } from '../lib/machine.mjs';
import { client, startCeilingServer, startServer } from '../lib/server.mjs';
import { log, main, removeDir, tempDir } from '../lib/scenario.mjs';
import { figure, latencySummary } from '../lib/stats.mjs';

/**
 * Messages per second in each measured phase: 1,000 visitors each writing about once a minute, and
 * as many agent replies (each visitor has at most one message in flight).
 */
const RATE = 20;
/** How long a message or reply may take to arrive before it counts as lost. */
const LOST_AFTER_MS = 15_000;
/** Sessions and first messages opened at once while the visitors connect. */
const CONNECT_CONCURRENCY = 50;
const REPLY_TARGET_MS = 1000;
const RSS_TARGET_MB = 300;
const CEILING_RATIO_TARGET = 0.25;
/** Concurrency levels and windows of the chat ingest loop: the API channel's (ingest.mjs), so both ratios read alike. */
const INGEST_LEVELS = { quick: [16, 64], full: [8, 32, 128] };
const INGEST_WINDOWS = { quick: { warmupMs: 1000, measureMs: 4000 }, full: { warmupMs: 2000, measureMs: 8000 } };

/** Visitor i's own loopback source address: 127.1.0.1, 127.1.0.2, … (Linux routes all of 127/8 to lo). */
const visitorAddress = (i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/**
 * A server-sent events stream over node:http (EventSource semantics: `event:`/`data:` lines, a blank
 * line ends an event; comments ignored). `onEvent(name, data, at)` gets each event with its arrival time.
 * Resolves once the response headers arrived with 200.
 */
function openEventStream(baseUrl, path, { headers = {}, localAddress, onEvent, onClose = () => undefined }) {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { accept: 'text/event-stream', ...headers },
        localAddress,
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (body += c));
          res.on('end', () => reject(new Error(`GET ${url.pathname} answered ${res.statusCode}: ${body.slice(0, 300)}`)));
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        let event = 'message';
        let data = [];
        res.on('data', (chunk) => {
          const at = performance.now();
          buffer += chunk;
          for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
            const line = buffer.slice(0, nl).replace(/\r$/, '');
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (data.length > 0) onEvent(event, data.join('\n'), at);
              event = 'message';
              data = [];
            } else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
        });
        const stream = { closed: false, close: () => req.destroy() };
        res.on('close', () => {
          stream.closed = true;
          onClose();
        });
        resolve(stream);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * An event stream that opens again a second after it ends, as EventSource does (the server says
 * `retry: 3000`; a second keeps the gap short). `drops` counts the ends the client did not ask for;
 * whatever the server sent in a gap is missed, and shows as lost.
 */
async function followEventStream(baseUrl, path, options) {
  const follower = {
    drops: 0,
    stopped: false,
    current: null,
    get closed() {
      return follower.current === null || follower.current.closed;
    },
    close() {
      follower.stopped = true;
      follower.current?.close();
    },
  };
  const reopen = async () => {
    while (!follower.stopped) {
      await delay(1000);
      try {
        follower.current = await openEventStream(baseUrl, path, { ...options, onClose });
        return;
      } catch {
        /* the server is busy or restarting: try again */
      }
    }
  };
  const onClose = () => {
    if (follower.stopped) return;
    follower.drops += 1;
    void reopen();
  };
  follower.current = await openEventStream(baseUrl, path, { ...options, onClose });
  return follower;
}

/** A JSON request through an undici pool; answers { status, body }. */
async function call(pool, method, path, { body, headers = {} } = {}) {
  const res = await pool.request({
    method,
    path,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body: parsed };
}

async function expectOk(pool, method, path, options) {
  const res = await call(pool, method, path, options);
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
  return res.body;
}

/** Runs `work(i)` for i in 0..count-1 with at most `concurrency` at once. */
async function forEachLimited(count, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/**
 * One visitor: a session from its own address, its event stream, and a first message that starts
 * its conversation (whose id the session answers on the next call).
 */
async function connectVisitor(server, connectionId, i, origin) {
  const localAddress = visitorAddress(i);
  const pool = new Pool(server.baseUrl, { connections: 1, pipelining: 1, keepAliveTimeout: 600_000, localAddress });
  const visitor = { i, pool, token: null, conversationId: null, stream: null, waiters: new Map(), received: 0 };
  const base = `/channels/chat/c/${connectionId}`;
  const headers = () => ({ origin, ...(visitor.token ? { authorization: `Bearer ${visitor.token}` } : {}) });
  const session = await expectOk(pool, 'POST', `${base}/session`, { body: {}, headers: headers() });
  visitor.token = session.token;
  visitor.stream = await followEventStream(server.baseUrl, `${base}/events?token=${encodeURIComponent(visitor.token)}`, {
    headers: { origin },
    localAddress,
    onEvent: (name, data, at) => {
      if (name !== 'message') return;
      const message = JSON.parse(data);
      visitor.received += 1;
      const waiter = visitor.waiters.get(message.text);
      if (waiter) {
        visitor.waiters.delete(message.text);
        waiter(at);
      }
    },
  });
  visitor.send = (text) => call(pool, 'POST', `${base}/messages`, { body: { text, clientMessageId: randomUUID() }, headers: headers() });
  const first = await visitor.send(`Hello, I am visitor ${i} and I have a question about my order ${10_000 + i}.`);
  if (first.status !== 201) throw new Error(`visitor ${i}: the first message answered ${first.status}: ${JSON.stringify(first.body).slice(0, 300)}`);
  const again = await expectOk(pool, 'POST', `${base}/session`, { body: { token: visitor.token }, headers: headers() });
  visitor.conversationId = again.conversation?.id ?? null;
  if (!visitor.conversationId)
    throw new Error(`visitor ${i}: the session answered no conversation after the first message: ${JSON.stringify(again).slice(0, 300)}`);
  return visitor;
}

/**
 * Sends `count` items at RATE per second (open loop: item k is due at start + k/RATE and sent then);
 * `start(k, due)` sends item k and answers a promise of its arrival time (performance.now()) or null
 * when it was refused or lost. Latency is measured from the due time.
 */
async function steady(count, start) {
  const latencies = [];
  let lost = 0;
  let firstProblem = null;
  const pending = [];
  const started = performance.now();
  for (let k = 0; k < count;) {
    const dueCount = Math.min(count, Math.floor(((performance.now() - started) * RATE) / 1000) + 1);
    for (; k < dueCount; k += 1) {
      const due = started + (k * 1000) / RATE;
      pending.push(
        start(k, due).then(
          (at) => {
            if (at !== null) return latencies.push(at - due);
            // Counted at the give-up time, so a percentile over them is a lower bound, never flattered.
            lost += 1;
            latencies.push(LOST_AFTER_MS);
          },
          (error) => {
            lost += 1;
            latencies.push(LOST_AFTER_MS);
            firstProblem ??= String(error.message ?? error);
          },
        ),
      );
    }
    await delay(2);
  }
  await Promise.all(pending);
  return { latencies, lost, firstProblem };
}

/** A promise resolved by `register`'s callback, or null after LOST_AFTER_MS. */
function arrival(register) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), LOST_AFTER_MS);
    register((at) => {
      clearTimeout(timer);
      resolve(at);
    });
  });
}

/**
 * Chat ingest, closed loop: `connections` workers, each sending its next visitor message when the
 * last was answered, each time from the visitor who has waited longest (never one with a request in
 * flight: a visitor has one connection, as a browser tab has). `send(visitor, text)` answers
 * { status, body }. Counts 201 answers inside the measured window, and the server's CPU over it.
 */
async function ingestLoop(visitors, connections, warmupMs, measureMs, { pid, send, label }) {
  const idle = [...visitors];
  const latencies = [];
  let ok = 0;
  let acknowledged = 0;
  let errors = 0;
  let refusedByLimit = 0;
  let firstError = null;
  let measuring = false;
  let stopping = false;
  let sequence = 0;
  const loop = async () => {
    while (!stopping) {
      const visitor = idle.shift();
      if (!visitor) {
        await delay(1);
        continue;
      }
      const started = performance.now();
      let res;
      try {
        res = await send(visitor, `${label} ${sequence++}: could you tell me when my order ships? It has been a week.`);
      } catch (error) {
        res = { status: 0, body: String(error.message ?? error) };
      }
      const ms = performance.now() - started;
      idle.push(visitor);
      if (res.status === 201) {
        acknowledged += 1;
        if (measuring) {
          ok += 1;
          latencies.push(ms);
        }
      } else {
        errors += 1;
        if (res.status === 429) refusedByLimit += 1;
        firstError ??= `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        if (errors > 100) stopping = true;
      }
    }
  };
  const loops = Array.from({ length: connections }, () => loop());
  await delay(warmupMs);
  measuring = true;
  const windowStart = performance.now();
  const cpuBefore = cpuMs(pid);
  await delay(measureMs);
  measuring = false;
  const windowMs = performance.now() - windowStart;
  const cpuUsPerMessage = ok > 0 ? ((cpuMs(pid) - cpuBefore) * 1000) / ok : NaN;
  stopping = true;
  await Promise.all(loops);
  return { rate: ok / (windowMs / 1000), cpuUsPerMessage, latency: latencySummary(latencies), acknowledged, errors, refusedByLimit, firstError };
}

/**
 * The HTTP ceiling for the visitor route, once per run of the chat scenario, after Parley's server
 * stopped: the same loop, levels and windows, the same visitors' addresses, headers and bodies.
 * Answers per run { rates: Map(level -> req/s), cpu: Map(level -> µs per request) }.
 */
async function ceilingRuns(visitors, connectionId, origin, levels, { warmupMs, measureMs }, runs) {
  const server = await startCeilingServer();
  const path = `/channels/chat/c/${connectionId}/messages`;
  const mirrors = visitors.map((v) => ({
    token: v.token,
    pool: new Pool(server.baseUrl, { connections: 1, pipelining: 1, keepAliveTimeout: 600_000, localAddress: visitorAddress(v.i) }),
  }));
  const send = (mirror, text) =>
    call(mirror.pool, 'POST', path, { body: { text, clientMessageId: randomUUID() }, headers: { origin, authorization: `Bearer ${mirror.token}` } });
  const results = [];
  try {
    for (let run = 1; run <= runs; run += 1) {
      const rates = new Map();
      const cpu = new Map();
      for (const connections of levels) {
        const result = await ingestLoop(mirrors, connections, warmupMs, measureMs, { pid: server.pid, send, label: `Ceiling ${run}` });
        if (result.errors) throw new Error(`the HTTP ceiling answered ${result.errors} non-201, first: ${result.firstError}`);
        rates.set(connections, result.rate);
        cpu.set(connections, result.cpuUsPerMessage);
        log(
          `HTTP ceiling (visitor route), run ${run}, ${connections} connections: ${Math.round(result.rate)} req/s, ${Math.round(result.cpuUsPerMessage)} µs CPU per request, p50 ${result.latency.p50.toFixed(1)} ms`,
        );
      }
      results.push({ rates, cpu });
    }
  } finally {
    await Promise.all(mirrors.map((m) => m.pool.close().catch(() => undefined)));
    await server.stop();
  }
  return results;
}

main('chat', async ({ quick, runs }) => {
  const visitorsCount = Number(process.env.BENCH_CHAT_VISITORS ?? 1000);
  const perPhase = Math.min(visitorsCount, quick ? 200 : 500);
  const dataDir = tempDir('chat');
  const server = await startServer({ dataDir });
  const api = client(server.baseUrl, { connections: 16 });
  const figures = [];
  const notes = [];
  const visitors = [];
  const levels = quick ? INGEST_LEVELS.quick : INGEST_LEVELS.full;
  const windows = quick ? INGEST_WINDOWS.quick : INGEST_WINDOWS.full;
  /** Per run: Map(level -> { rate, cpuUsPerMessage, p50, p99 }). */
  const ingestRuns = [];
  let agentStream = null;
  let peakConnected = NaN;
  let idleRssMb = NaN;
  let connectionId;
  try {
    await api.login();
    const inbox = (await api.expect('GET', '/api/inboxes')).inboxes.find((i) => i.isDefault);
    const created = await api.expect('POST', `/api/inboxes/${inbox.id}/channels`, { type: 'chat', name: 'Bench website', settings: { allowedOrigins: [] } });
    const connection = created.channel ?? created;
    if (!connection?.id) throw new Error(`POST /api/inboxes/${inbox.id}/channels answered no connection id: ${JSON.stringify(created).slice(0, 300)}`);
    connectionId = connection.id;

    // The agent's screen: one stream of the inbox's notices, as the web UI opens it.
    const noticeWaiters = new Map();
    const noticeTypes = new Map();
    agentStream = await followEventStream(server.baseUrl, `/events?inboxId=${inbox.id}`, {
      headers: { authorization: `Bearer ${api.token}` },
      onEvent: (name, data, at) => {
        if (name !== 'change') return;
        const notice = JSON.parse(data);
        noticeTypes.set(notice.type, (noticeTypes.get(notice.type) ?? 0) + 1);
        if (notice.type !== 'MessageReceived') return;
        const waiter = noticeWaiters.get(notice.conversationId);
        if (waiter) {
          noticeWaiters.delete(notice.conversationId);
          waiter(at);
        }
      },
    });

    // The visitor frame runs on Parley's origin, so that is the Origin its requests carry.
    const origin = server.baseUrl;
    const connectStart = performance.now();
    const slots = new Array(visitorsCount);
    await forEachLimited(visitorsCount, CONNECT_CONCURRENCY, async (i) => {
      slots[i] = await connectVisitor(server, connection.id, i, origin);
    });
    visitors.push(...slots);
    const connectSeconds = (performance.now() - connectStart) / 1000;
    log(`${visitors.length} visitors connected with a conversation each in ${connectSeconds.toFixed(1)} s`);
    // Measured from a quiet start: every first message announced to the agent (each started a conversation).
    const settleBy = Date.now() + 120_000;
    while ((noticeTypes.get('ConversationStarted') ?? 0) < visitorsCount && Date.now() < settleBy) await delay(100);
    await delay(1000);
    const idle = server.memory();
    idleRssMb = idle?.rssMb ?? NaN;
    log(`server with ${visitors.length} visitors connected, idle: RSS ${idle?.rssMb.toFixed(0)} MB (peak so far ${idle?.peakMb.toFixed(0)} MB)`);

    const toAgent = { p50: [], p99: [] };
    const postAnswered = { p50: [], p99: [] };
    const toVisitor = { p50: [], p99: [] };
    let cursor = 0;
    let agentDropsNoted = 0;
    let visitorDropsNoted = 0;
    for (let run = 1; run <= runs; run += 1) {
      // (a) visitor message -> agent screen.
      // The visitor's POST answers once the message is stored (read-your-writes): its own latency,
      // from the same due time, tells the ingest apart from the announcement that follows it.
      const answered = [];
      const a = await steady(perPhase, (k, due) => {
        const visitor = visitors[(cursor + k) % visitors.length];
        const arrived = arrival((resolve) => noticeWaiters.set(visitor.conversationId, resolve));
        return visitor.send(`Run ${run}, message ${k}: is there any news about my parcel?`).then((res) => {
          if (res.status !== 201) throw new Error(`a visitor message answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
          answered.push(performance.now() - due);
          return arrived;
        });
      });
      await delay(1000);
      // (b) agent reply -> visitor's open stream.
      const b = await steady(perPhase, (k) => {
        const visitor = visitors[(cursor + k) % visitors.length];
        const text = `Run ${run}, reply ${k} ${randomUUID()}: your parcel left the warehouse this morning.`;
        const arrived = arrival((resolve) => visitor.waiters.set(text, resolve));
        return api.request('POST', `/api/conversations/${visitor.conversationId}/replies`, { text }).then((res) => {
          if (res.status !== 201) throw new Error(`a reply answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
          return arrived;
        });
      });
      cursor += perPhase;
      await delay(1000);
      // (c) chat ingest: the visitors' route as fast as the server answers, at the API channel's levels.
      const byLevel = new Map();
      for (const connections of levels) {
        const announcedBefore = noticeTypes.get('MessageReceived') ?? 0;
        const result = await ingestLoop(visitors, connections, windows.warmupMs, windows.measureMs, {
          pid: server.pid,
          send: (visitor, text) => visitor.send(text),
          label: `Run ${run}, ingest`,
        });
        // Every acknowledged message is stored and readable: the agent's screen is told of each.
        const waitStart = performance.now();
        while ((noticeTypes.get('MessageReceived') ?? 0) - announcedBefore < result.acknowledged && performance.now() - waitStart < 10_000) await delay(20);
        const announced = (noticeTypes.get('MessageReceived') ?? 0) - announcedBefore;
        byLevel.set(connections, result);
        log(
          `run ${run}, chat ingest, ${connections} connections: ${Math.round(result.rate)} msg/s, ${Math.round(result.cpuUsPerMessage)} µs server CPU per message, p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms, ` +
            `announced to the agent ${announced}/${result.acknowledged}, RSS ${server.memory()?.rssMb.toFixed(0)} MB${result.errors ? `, ${result.errors} errors (${result.refusedByLimit} of them 429; first: ${result.firstError})` : ''}`,
        );
        if (announced !== result.acknowledged)
          notes.push(
            `run ${run}, chat ingest at ${connections} connections: the agent was told of ${announced} of ${result.acknowledged} acknowledged messages within 10 s`,
          );
        if (result.errors)
          notes.push(
            `run ${run}, chat ingest at ${connections} connections: ${result.errors} non-201 answers, ${result.refusedByLimit} of them 429 (a visitor's message limit: more visitors, BENCH_CHAT_VISITORS, spread the load); first: ${result.firstError}`,
          );
      }
      ingestRuns.push(byLevel);
      const sa = latencySummary(a.latencies);
      const sp = latencySummary(answered);
      postAnswered.p50.push(sp.p50);
      postAnswered.p99.push(sp.p99);
      const sb = latencySummary(b.latencies);
      toAgent.p50.push(sa.p50);
      toAgent.p99.push(sa.p99);
      toVisitor.p50.push(sb.p50);
      toVisitor.p99.push(sb.p99);
      const open = visitors.filter((v) => !v.stream.closed).length;
      const visitorDrops = visitors.reduce((sum, v) => sum + v.stream.drops, 0);
      log(
        `run ${run}: visitor -> agent p50 ${sa.p50.toFixed(1)} / p99 ${sa.p99.toFixed(1)} ms (${a.lost} of ${perPhase} lost); agent -> visitor p50 ${sb.p50.toFixed(1)} / p99 ${sb.p99.toFixed(1)} ms (${b.lost} of ${perPhase} lost); ${open} visitor streams open; streams ended by the server so far: agent ${agentStream.drops}, visitors ${visitorDrops}`,
      );
      if (agentStream.drops > agentDropsNoted)
        notes.push(
          `run ${run}: the agent's event stream was ended by the server ${agentStream.drops - agentDropsNoted} times (reopened after 1 s, as EventSource would)`,
        );
      agentDropsNoted = agentStream.drops;
      if (visitorDrops > visitorDropsNoted)
        notes.push(`run ${run}: visitor event streams were ended by the server ${visitorDrops - visitorDropsNoted} times (reopened after 1 s)`);
      visitorDropsNoted = visitorDrops;
      if (a.lost)
        notes.push(
          `run ${run}: ${a.lost} visitor messages not announced to the agent within ${LOST_AFTER_MS / 1000} s (counted as ${LOST_AFTER_MS / 1000} s)${a.firstProblem ? ` (first: ${a.firstProblem})` : ''}`,
        );
      if (b.lost)
        notes.push(
          `run ${run}: ${b.lost} replies not received by the visitor within ${LOST_AFTER_MS / 1000} s (counted as ${LOST_AFTER_MS / 1000} s)${b.firstProblem ? ` (first: ${b.firstProblem})` : ''}`,
        );
      if (open < visitors.length) notes.push(`run ${run}: ${visitors.length - open} visitor streams had closed`);
    }
    peakConnected = server.peakRssMb();

    figures.push(
      figure({
        id: 'chat.to-agent.p50',
        label: `Chat: visitor message -> agent screen p50 (${visitorsCount} visitors)`,
        unit: 'ms',
        runs: toAgent.p50,
        digits: 1,
      }),
    );
    figures.push(
      figure({
        id: 'chat.to-agent.p99',
        label: `Chat: visitor message -> agent screen p99 (${visitorsCount} visitors)`,
        unit: 'ms',
        runs: toAgent.p99,
        digits: 1,
      }),
    );
    figures.push(
      figure({
        id: 'chat.message-post.p50',
        label: `Chat: visitor message POST answered p50 (${visitorsCount} visitors)`,
        unit: 'ms',
        runs: postAnswered.p50,
        digits: 1,
      }),
    );
    figures.push(
      figure({
        id: 'chat.message-post.p99',
        label: `Chat: visitor message POST answered p99 (${visitorsCount} visitors)`,
        unit: 'ms',
        runs: postAnswered.p99,
        digits: 1,
      }),
    );
    figures.push(
      figure({ id: 'chat.to-visitor.p50', label: `Chat: agent reply -> visitor p50 (${visitorsCount} visitors)`, unit: 'ms', runs: toVisitor.p50, digits: 1 }),
    );
    figures.push(
      figure({
        id: 'chat.to-visitor.p99',
        label: `Chat: agent reply -> visitor p99 (${visitorsCount} visitors)`,
        unit: 'ms',
        runs: toVisitor.p99,
        digits: 1,
        target: { op: '<=', value: REPLY_TARGET_MS },
      }),
    );
    figures.push(
      figure({
        id: 'chat.connect',
        label: `Chat: ${visitorsCount} visitors connected (session, stream, first message)`,
        unit: 's',
        runs: [connectSeconds],
        digits: 1,
      }),
    );
    notes.push(
      `${visitorsCount} visitors with an open event stream and a conversation each, from ${visitorsCount} loopback addresses; ${perPhase} visitor messages and ${perPhase} agent replies per run at ${RATE}/s (open loop, latency from the due time); one agent stream (GET /events); agent notices seen: ${[...noticeTypes].map(([t, n]) => `${t} ${n}`).join(', ')}`,
    );
  } finally {
    agentStream?.close();
    for (const visitor of visitors) visitor?.stream?.close();
    await Promise.all(visitors.map((v) => v?.pool.close().catch(() => undefined)));
    await api.close();
    const peak = await server.stop();
    figures.push(
      figure({
        id: 'rss.chat',
        label: `Server peak RSS, chat (${visitorsCount} visitors connected, messages flowing)`,
        unit: 'MB',
        runs: [Number.isFinite(peakConnected) ? peakConnected : peak],
        target: { op: '<=', value: RSS_TARGET_MB },
      }),
      figure({
        id: 'rss.chat.idle',
        label: `Server RSS, chat (${visitorsCount} visitors connected, before messages flow)`,
        unit: 'MB',
        runs: [idleRssMb],
      }),
    );
    removeDir(dataDir);
  }

  if (ingestRuns.length > 0) {
    const ceilings = await ceilingRuns(visitors, connectionId, server.baseUrl, levels, windows, ingestRuns.length);
    for (const c of levels) {
      figures.push(
        figure({ id: `chat.ingest.c${c}.rate`, label: `Chat ingest msgs/s, ${c} connections`, unit: 'msg/s', runs: ingestRuns.map((r) => r.get(c).rate) }),
        figure({
          id: `chat.ingest.c${c}.p50`,
          label: `Chat ingest latency p50, ${c} connections`,
          unit: 'ms',
          runs: ingestRuns.map((r) => r.get(c).latency.p50),
          digits: 1,
        }),
        figure({
          id: `chat.ingest.c${c}.p99`,
          label: `Chat ingest latency p99, ${c} connections`,
          unit: 'ms',
          runs: ingestRuns.map((r) => r.get(c).latency.p99),
          digits: 1,
        }),
      );
    }
    const best = ingestRuns.map((r) => [...r].reduce((a, b) => (b[1].rate > a[1].rate ? b : a)));
    const ceilingBest = ceilings.map((c) => Math.max(...c.rates.values()));
    figures.push(
      figure({ id: 'chat.ingest.best', label: 'Chat ingest msgs/s, best level', unit: 'msg/s', runs: best.map(([, r]) => r.rate) }),
      figure({ id: 'chat.ceiling.best', label: 'HTTP ceiling (visitor route shape) req/s, best level', unit: 'req/s', runs: ceilingBest }),
      figure({
        id: 'chat.ingest.ceiling-ratio',
        label: 'Chat ingest / HTTP ceiling, best levels',
        unit: '×',
        runs: best.map(([, r], i) => r.rate / ceilingBest[i]),
        target: { op: '>=', value: CEILING_RATIO_TARGET },
        digits: 3,
      }),
      figure({
        id: 'chat.ingest.cpu-per-message',
        label: 'Chat: server CPU per message, best ingest level',
        unit: 'µs',
        runs: best.map(([, r]) => r.cpuUsPerMessage),
      }),
      figure({
        id: 'chat.ceiling.cpu-per-request',
        label: 'HTTP ceiling (visitor route shape) CPU per request, same level',
        unit: 'µs',
        runs: best.map(([c], i) => ceilings[i].cpu.get(c)),
      }),
    );
    notes.push(
      `chat ingest: ${levels.join(' / ')} requests in flight (closed loop), ${windows.warmupMs / 1000} s warm-up + ${windows.measureMs / 1000} s measured per level, each from the idle visitor who waited longest, on that visitor's connection and address; every message a follow-up in the visitor's open conversation`,
    );
    notes.push(
      'HTTP ceiling for chat: bench/lib/ceiling-server.mjs (POST /channels/chat/c/:cid/messages), its own process after the server stopped, once per run, the same loop, visitors, addresses, bodies and levels; the ratio pairs each run with its own ceiling',
    );
  }
  return { size: `${visitorsCount} visitors`, notes, figures };
});
