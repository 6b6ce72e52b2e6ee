// Figures 2 and 6: latency of assign, comment and close at a steady 500 commands/s over HTTP,
// and the server's peak RSS. Open loop: command i is due at start + i × 2 ms and is sent then
// whether or not earlier ones were answered; its latency is measured from when it was DUE, so a
// server that falls behind shows it (no coordinated omission).
// Each conversation gets at most one command of each kind (assign and close on separate sets),
// so every command is a real change (no "already closed" refusals).
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { client, startServer } from '../lib/server.mjs';
import { log, main, removeDir, tempDir } from '../lib/scenario.mjs';
import { figure, latencySummary } from '../lib/stats.mjs';

const RATE = 500;
const KINDS = ['assign', 'comment', 'close'];
const MAX_IN_FLIGHT = 2000;

async function createConversations(api, count) {
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        next += 1;
        const thread = randomUUID();
        const body = await api.expect('POST', '/api/channels/api/messages', {
          externalThreadId: thread,
          externalMessageId: thread,
          from: { address: `customer-${thread.slice(0, 8)}@example.com`, name: 'A Customer' },
          subject: 'Where is my order?',
          text: 'Hello, my order has not arrived yet, could you check the delivery status please?',
        });
        ids.push(body.conversationId);
      }
    }),
  );
  return ids;
}

/**
 * Sends `total` commands at RATE per second; resolves with latencies per kind (from due time).
 * `cursors` carry over from run to run, so no conversation is assigned or closed twice.
 */
async function steady(api, total, pools, agents, cursors) {
  const latencies = { assign: [], comment: [], close: [], all: [] };
  let failures = 0;
  let firstFailure = null;
  let inFlight = 0;
  let skipped = 0;
  const pending = [];
  const started = performance.now();
  const send = (i, due) => {
    const kind = KINDS[i % 3];
    const pool = pools[kind];
    const id = pool[cursors[kind]++ % pool.length];
    const request =
      kind === 'assign'
        ? api.request('POST', `/api/conversations/${id}/assign`, { assignee: agents[i % agents.length] })
        : kind === 'comment'
          ? api.request('POST', `/api/conversations/${id}/comments`, { text: `Checked with the carrier, ticket ${i}` })
          : api.request('POST', `/api/conversations/${id}/close`, {});
    inFlight += 1;
    pending.push(
      request.then((res) => {
        inFlight -= 1;
        const ms = performance.now() - due;
        if (res.status >= 200 && res.status < 300) {
          latencies[kind].push(ms);
          latencies.all.push(ms);
        } else {
          failures += 1;
          firstFailure ??= `${kind}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        }
      }),
    );
  };
  for (let i = 0; i < total;) {
    const now = performance.now();
    const dueCount = Math.min(total, Math.floor(((now - started) * RATE) / 1000) + 1);
    for (; i < dueCount; i += 1) {
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped += 1;
        continue;
      }
      send(i, started + (i * 1000) / RATE);
    }
    await delay(1);
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  return { latencies, failures, firstFailure, skipped, achieved: latencies.all.length / seconds };
}

main('commands', async ({ quick, runs }) => {
  const seconds = quick ? 5 : 10;
  const perRun = RATE * seconds;
  const perKind = Math.ceil(perRun / 3) * runs;
  const dataDir = tempDir('commands');
  const server = await startServer({ dataDir });
  const api = client(server.baseUrl, { connections: 64 });
  const figures = [];
  const notes = [];
  try {
    const { agent } = await api.login();
    const agents = [agent.id];
    for (let i = 1; i <= 4; i += 1) {
      const created = await api.expect('POST', '/api/agents', {
        name: `Agent ${i}`,
        email: `agent${i}@example.com`,
        password: `agent-password-${i}`,
        role: 'agent',
      });
      agents.push(created.id ?? created.agent?.id);
    }
    const setupStart = performance.now();
    const ids = await createConversations(api, perKind * 2);
    log(`created ${ids.length} conversations in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
    const pools = { assign: ids.slice(0, perKind), close: ids.slice(perKind), comment: ids };
    const byKind = Object.fromEntries([...KINDS, 'all'].map((k) => [k, { p50: [], p99: [] }]));
    const achieved = [];
    const cursors = { assign: 0, comment: 0, close: 0 };
    for (let run = 1; run <= runs; run += 1) {
      const result = await steady(api, perRun, pools, agents, cursors);
      achieved.push(result.achieved);
      for (const kind of [...KINDS, 'all']) {
        const summary = latencySummary(result.latencies[kind]);
        byKind[kind].p50.push(summary.p50);
        byKind[kind].p99.push(summary.p99);
      }
      const all = latencySummary(result.latencies.all);
      log(
        `run ${run}: ${Math.round(result.achieved)} commands/s answered, p50 ${all.p50.toFixed(1)} ms, p99 ${all.p99.toFixed(1)} ms${result.failures ? `, ${result.failures} failed (${result.firstFailure})` : ''}`,
      );
      if (result.failures) notes.push(`run ${run}: ${result.failures} commands failed, first: ${result.firstFailure}`);
      if (result.skipped) notes.push(`run ${run}: ${result.skipped} commands not sent (over ${MAX_IN_FLIGHT} in flight)`);
    }
    for (const kind of [...KINDS, 'all']) {
      const name = kind === 'all' ? 'all commands' : kind;
      figures.push(figure({ id: `commands.${kind}.p50`, label: `Command latency p50, ${name} @${RATE}/s`, unit: 'ms', runs: byKind[kind].p50, digits: 1 }));
      figures.push(figure({ id: `commands.${kind}.p99`, label: `Command latency p99, ${name} @${RATE}/s`, unit: 'ms', runs: byKind[kind].p99, digits: 1 }));
    }
    figures.push(figure({ id: 'commands.rate', label: `Commands/s answered (offered ${RATE}/s)`, unit: '/s', runs: achieved }));
    notes.push(
      `${perRun} commands per run (${seconds} s at ${RATE}/s, assign/comment/close in turn) against ${ids.length} conversations created over HTTP first; latency from the due time`,
    );
  } finally {
    await api.close();
    const peak = await server.stop();
    figures.push(figure({ id: 'rss.commands', label: 'Server peak RSS, commands', unit: 'MB', runs: [peak], target: { op: '<=', value: 300 } }));
    removeDir(dataDir);
  }
  return { notes, figures };
});
