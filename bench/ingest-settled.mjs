#!/usr/bin/env node
// node bench/ingest-settled.mjs [--messages=3000] [--connections=32]
//
// The same work for any build (BENCH_DIST): a fresh server takes `messages` API messages at
// `connections` (70 % from new senders, each at one of seven company domains, 30 % replies), then
// the script waits until every sender's contact record is in the log and the views lane has applied
// the whole log. It prints the server's CPU (utime + stime, all threads) per message over the load
// alone and over all of it. The ingest scenario measures a window; this measures work that a
// window may leave to after it (the contact-records process manager, issue 17).
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { startServer, client } from './lib/server.mjs';
import { cpuMs } from './lib/machine.mjs';
import { tempDir, removeDir } from './lib/scenario.mjs';
import { DIST, Database } from './lib/parley.mjs';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const N = arg('messages', 3000);
const C = arg('connections', 32);
const DOMAINS = ['example.com', 'mail.test', 'customer.test', 'inbox.test', 'acme.test', 'globex.test', 'initech.test'];
const dataDir = tempDir('same-work');
const server = await startServer({ dataDir });
const api = client(server.baseUrl, { connections: C });
try {
  await api.login();
  const threads = [];
  let next = 0;
  let senders = 0;
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  const worker = async () => {
    while (next < N) {
      const i = next++;
      let thread;
      if (threads.length === 0 || i % 10 < 7) {
        const s = senders++;
        thread = { id: `sw-${randomUUID()}`, from: { address: `person.${s}@${DOMAINS[s % DOMAINS.length]}`, name: `Person ${s}` }, sent: 0 };
        threads.push(thread);
      } else thread = threads[i % threads.length];
      const res = await api.request('POST', '/api/channels/api/messages', {
        externalThreadId: thread.id,
        externalMessageId: `${thread.id}-${thread.sent++}`,
        from: thread.from,
        subject: 'Order 12345',
        text: 'Where is my order? It has not arrived yet.',
      });
      if (res.status !== 201 && res.status !== 200) throw new Error(`${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
  const loadMs = performance.now() - t0;
  const cpuLoad = cpuMs(server.pid) - cpu0;
  const db = new (Database())(join(dataDir, 'parley.db'), { readonly: true, fileMustExist: true });
  const contacts = () => db.prepare("SELECT COUNT(*) FROM events WHERE type = 'ContactCreated'").pluck().get();
  const head = () => db.prepare('SELECT MAX(position) FROM events').pluck().get();
  const projected = () => db.prepare("SELECT MIN(position) FROM projection_checkpoints WHERE name <> 'search'").pluck().get();
  const atLoadEnd = contacts();
  let doneMs = NaN;
  for (const started = performance.now(); performance.now() - started < 180_000; await delay(25)) {
    if (contacts() >= senders && projected() >= head()) {
      doneMs = performance.now() - t0;
      break;
    }
  }
  const cpuAll = cpuMs(server.pid) - cpu0;
  console.log(
    JSON.stringify({
      dist: DIST,
      messages: N,
      senders,
      connections: C,
      msgPerS: Math.round(N / (loadMs / 1000)),
      loadS: +(loadMs / 1000).toFixed(1),
      contactsAtLoadEnd: atLoadEnd,
      contactsEnd: contacts(),
      allDoneS: +(doneMs / 1000).toFixed(1),
      cpuUsPerMsgLoad: Math.round((cpuLoad * 1000) / N),
      cpuUsPerMsgAllDone: Math.round((cpuAll * 1000) / N),
    }),
  );
  db.close();
} finally {
  await api.close();
  await server.stop();
  removeDir(dataDir);
}
