// The large inbox for the views, search and replay figures, generated THROUGH the event store
// (never by inserts into read models) and projected by the real ProjectionRunner, then cached
// under bench/.cache/<key>/ so later runs reuse it.
//
// 1. The real server starts once on an empty folder: it creates the admin and the default inbox;
//    9 more agents are added over HTTP.
// 2. Conversations are decided by the domain's own decider (ReceiveInboundMessage, then assign,
//    comment, close), so every event has exactly the shape the application writes, and appended
//    with SqliteEventStore, one append per conversation, 1,000 appends in flight: group commit
//    puts 500 appends (~6,000 events) in each synchronous=FULL transaction. Through the sealing
//    layer, as the server appends: personal values are stored sealed, and a rebuild opens them.
//    What the contact-records manager writes in reaction (the contact, its company by email domain)
//    is decided by the contact and company deciders as that manager decides it, and appended right
//    after the conversation, as a live server's manager appends it right after the conversation.
// 3. The read models are built by `parley replay`'s own ReadModelRebuild (the rebuild the replay
//    figure times: the same projections, in lanes), then swapped in.
// 4. The process managers' checkpoints are moved to the head (see settleProcessManagers).
//
// Reuse: the events are kept as long as GENERATOR_VERSION and the size are the same; on reuse the
// server's ProjectionRunner is started again, which rebuilds any projection whose version changed.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ROOT, DIST, dist, parley, rootRequire, silentLogger } from './parley.mjs';
import { ADMIN, client, startServer } from './server.mjs';
import { textSource } from './text.mjs';

/** 3: sealed personal values; the contact records and companies the contact-records manager writes. */
export const GENERATOR_VERSION = 3;
/** Conversations of the views dataset (about 10 messages each): full mode, and --quick's. */
export const FULL_SIZE = 1_000_000;
export const QUICK_SIZE = 20_000;
/**
 * Conversations of the dataset `parley replay` rebuilds, several times: a full-size rebuild takes
 * longer than the whole budget (its one-off rate, at generation, is reported beside it).
 */
export const REPLAY_SIZE = { full: 50_000, quick: QUICK_SIZE };
export const CACHE_DIR = join(BENCH_ROOT, '.cache');

const CHANNELS = [
  ['email', 0.5],
  ['chat', 0.2],
  ['api', 0.1],
  ['forms', 0.1],
  ['whatsapp', 0.05],
  ['messenger', 0.05],
];
const DAY_MS = 86_400_000;
const EPOCH = Date.parse('2025-01-01T00:00:00Z');
const SPAN_MS = 365 * DAY_MS;
const IN_FLIGHT = 1000;
/** Event types the generator writes (the server's setup writes agent and inbox events before). */
export const GENERATED_EVENT_TYPES = [
  'ConversationStarted',
  'MessageReceived',
  'ConversationMarkedAsSpam',
  'ConversationAssigned',
  'CommentAdded',
  'ConversationClosed',
];
/** What the generator writes for the contact-records manager (see contactRecords). */
export const CONTACT_EVENT_TYPES = ['ContactCreated', 'ContactPropertiesChanged', 'CompanyCreated'];

export const CUSTOM_VIEWS = [
  { name: 'Open refunds', filters: { q: 'refund', status: 'open' } },
  { name: 'Closed email', filters: { channel: 'email', status: 'closed' } },
];

export function datasetKey({ conversations, messagesPerConversation }) {
  return `inbox-g${GENERATOR_VERSION}-${conversations}c-${messagesPerConversation}m`;
}

/** The cached dataset (generating it first when missing), with its read models up to date. */
export async function ensureDataset({ conversations, messagesPerConversation = 10, log = () => {} }) {
  const key = datasetKey({ conversations, messagesPerConversation });
  const dataDir = join(CACHE_DIR, key);
  const metaFile = join(dataDir, 'dataset.json');
  let meta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : null;
  if (meta?.complete) {
    log(`dataset ${key}: cached (generated ${meta.createdAt}); bringing its read models up to date`);
    const caughtUp = await project(dataDir, log);
    if (caughtUp.events > 0) log(`dataset ${key}: re-projected ${caughtUp.events} events (a projection version changed) in ${caughtUp.seconds.toFixed(1)} s`);
    return { dataDir, meta };
  }
  removeOtherGenerations(key, log);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const started = Date.now();
  log(`dataset ${key}: generating ${conversations} conversations, ~${conversations * messagesPerConversation} messages (cached for later runs)`);
  const setup = await setUp(dataDir);
  log(`dataset ${key}: server setup done (${setup.agentIds.length} agents) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const written = await writeConversations(dataDir, setup, { conversations, messagesPerConversation, log });
  log(
    `dataset ${key}: appended ${written.events} events (${written.messages} messages) in ${written.seconds.toFixed(1)} s = ${Math.round(written.events / written.seconds)} events/s`,
  );
  const projected = await rebuild(dataDir);
  log(
    `dataset ${key}: projected ${projected.events} events in ${projected.seconds.toFixed(1)} s = ${Math.round(projected.events / projected.seconds)} events/s`,
  );
  const settled = settleProcessManagers(dataDir);
  meta = {
    complete: true,
    key,
    generatorVersion: GENERATOR_VERSION,
    createdAt: new Date().toISOString(),
    conversations,
    messages: written.messages,
    contacts: written.contacts,
    companies: written.companies,
    events: written.events + setup.events,
    inboxId: setup.inboxId,
    adminId: setup.adminId,
    agentIds: setup.agentIds,
    samples: written.samples,
    timings: {
      totalSeconds: (Date.now() - started) / 1000,
      appendSeconds: written.seconds,
      appendEventsPerSecond: Math.round(written.events / written.seconds),
      projectSeconds: projected.seconds,
      projectEventsPerSecond: Math.round(projected.events / projected.seconds),
    },
    processManagerCheckpoints: settled,
    databaseBytes: databaseBytes(dataDir),
  };
  writeFileSync(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  return { dataDir, meta };
}

function removeOtherGenerations(key, log) {
  if (!existsSync(CACHE_DIR)) return;
  const prefix = key.replace(/^inbox-g\d+-/, '');
  for (const name of readdirSync(CACHE_DIR)) {
    if (name !== key && name.startsWith('inbox-g') && name.endsWith(prefix)) {
      log(`removing ${name}: made by another generator version`);
      rmSync(join(CACHE_DIR, name), { recursive: true, force: true });
    }
  }
}

export function databaseBytes(dataDir) {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    const file = join(dataDir, `parley.db${suffix}`);
    if (existsSync(file)) total += statSync(file).size;
  }
  return total;
}

/** The real server creates the admin and the default inbox; nine agents more over HTTP. */
async function setUp(dataDir) {
  const server = await startServer({ dataDir });
  const api = client(server.baseUrl, { connections: 2 });
  try {
    const { agent } = await api.login();
    for (let i = 1; i <= 9; i += 1) {
      await api.expect('POST', '/api/agents', { name: `Agent ${i}`, email: `agent${i}@example.com`, password: `agent-password-${i}`, role: 'agent' });
    }
    const agents = await api.expect('GET', '/api/agents');
    const inboxes = await api.expect('GET', '/api/inboxes');
    const list = Array.isArray(agents) ? agents : agents.agents;
    const inboxList = Array.isArray(inboxes) ? inboxes : inboxes.inboxes;
    const inbox = inboxList.find((i) => i.isDefault) ?? inboxList[0];
    // Saved searches of the inbox: their live counts are among the count queries measured.
    for (const view of CUSTOM_VIEWS) await api.expect('POST', '/api/views', view);
    const health = await api.expect('GET', '/health');
    return { adminId: agent.id, agentIds: list.map((a) => a.id), inboxId: inbox.id, events: health.projectedPosition ?? 0 };
  } finally {
    await api.close();
    await server.stop();
  }
}

/**
 * Event ids in increasing order (UUID version 7 layout: a 48-bit counter where the time goes, then
 * one random tail per run). The server uses random version 4 ids; with those, each of the ~12
 * million inserts lands on a random page of the event_id index, and generating the 1 M inbox took
 * several times longer. Only the layout of that one index differs (no figure reads it).
 */
function eventIds() {
  const tail = randomBytes(9).toString('hex');
  let counter = Date.parse('2025-01-01T00:00:00Z');
  return () => {
    const time = (counter++).toString(16).padStart(12, '0');
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${tail.slice(0, 3)}-a${tail.slice(3, 6)}-${tail.slice(6, 18)}`;
  };
}

async function writeConversations(dataDir, setup, { conversations, messagesPerConversation, log }) {
  const eventId = eventIds();
  const p = parley();
  const db = p.openDatabase(p.databaseFile(dataDir), { synchronous: 'FULL' });
  // Sealed as the server seals: every conversation's and contact's personal values under its own subject key.
  const { SealedEventStore } = dist('infrastructure/event-store/sealed-event-store.js');
  const { SqliteSubjectKeys } = dist('infrastructure/privacy/sqlite-subject-keys.js');
  const store = new SealedEventStore(new p.SqliteEventStore(db), new SqliteSubjectKeys(db, { sharesTheLog: true }));
  const text = textSource(20251124);
  const { random } = text;
  const decider = p.conversationDecider;
  const records = contactRecords(eventId);
  const contacts = Math.max(10, Math.floor(conversations / 3));
  const sampleEvery = Math.max(1, Math.floor(conversations / 8));
  const samples = { orders: [], contacts: [], channels: {} };
  let events = 0;
  let messages = 0;
  let pending = [];
  const started = performance.now();
  let lastLog = started;

  for (let i = 0; i < conversations; i += 1) {
    const channel = pickWeighted(CHANNELS, random.next());
    const contactIndex = random.int(contacts);
    const person = random.chance(0.01) ? { name: undefined, address: `noreply@shop${contactIndex}.test` } : text.person(contactIndex);
    const order = text.orderNumber(i);
    const subject = text.subject(order);
    const externalThreadId = `bench-thread-${i}`;
    const conversationId = p.deriveIds.conversation(setup.inboxId, channel, externalThreadId);
    const contactId = p.deriveIds.contact(person.address);
    const count = 1 + random.int(2 * messagesPerConversation - 1);
    let at = EPOCH + (i / conversations) * SPAN_MS + random.int(6 * 3600_000);

    let state = decider.initialState();
    const out = [];
    const record = (command, actor, time) => {
      const iso = new Date(time).toISOString();
      const correlationId = randomUUID();
      for (const event of decider.decide(command, state)) {
        state = decider.evolve(state, event);
        out.push({ id: eventId(), type: event.type, data: event.data, metadata: { actor, occurredAt: iso, correlationId, causationId: correlationId } });
      }
    };
    const assignAfter = random.chance(0.55) ? 1 + random.int(count) : -1;
    const assignee = random.pick(setup.agentIds);
    for (let m = 0; m < count; m += 1) {
      const receivedAt = new Date(at).toISOString();
      const externalMessageId = `bench-msg-${i}-${m}`;
      record(
        {
          type: 'ReceiveInboundMessage',
          data: {
            conversationId,
            inboxId: setup.inboxId,
            channel,
            externalThreadId,
            externalMessageId,
            messageId: p.deriveIds.message(conversationId, externalMessageId),
            contactId,
            from: person.name ? { address: person.address, name: person.name } : { address: person.address },
            to: [],
            subject: m === 0 ? subject : `Re: ${subject}`,
            text: text.body(order),
            attachments: [],
            receivedAt,
            senderBlocked: false,
            now: receivedAt,
          },
        },
        { type: 'contact', address: person.address },
        at,
      );
      messages += 1;
      at += 60_000 * (1 + random.int(600));
      if (m + 1 === assignAfter && !state.spam) {
        record({ type: 'AssignConversation', data: { assignee: { type: 'agent', id: assignee } } }, { type: 'agent', id: setup.adminId }, at);
        if (random.chance(0.2)) {
          const now = new Date(at).toISOString();
          record(
            { type: 'AddComment', data: { commentId: randomUUID(), authorId: assignee, text: `Looking into order ${order}`, mentions: [], now } },
            { type: 'agent', id: assignee },
            at,
          );
        }
      }
    }
    // Older conversations are mostly closed, recent ones mostly open.
    const closeChance = i < conversations * 0.8 ? 0.8 : 0.2;
    if (!state.spam && random.chance(closeChance)) {
      record({ type: 'CloseConversation', data: { closeTicket: false, now: new Date(at).toISOString() } }, { type: 'agent', id: assignee }, at);
    }
    if (i % sampleEvery === Math.floor(sampleEvery / 2)) {
      samples.orders.push(order);
      if (person.name) samples.contacts.push({ name: person.name, address: person.address });
    }
    samples.channels[channel] = (samples.channels[channel] ?? 0) + 1;
    events += out.length;
    pending.push(store.append(p.streams.conversation(conversationId), out, { expectedRevision: 'no-stream' }));
    for (const append of records.after(out)) {
      events += append.events.length;
      pending.push(store.append(append.streamId, append.events, { expectedRevision: append.expectedRevision }));
    }
    if (pending.length >= IN_FLIGHT) {
      await Promise.all(pending);
      pending = [];
      const now = performance.now();
      if (now - lastLog > 10_000) {
        lastLog = now;
        log(`  appended ${i + 1}/${conversations} conversations, ${events} events, ${Math.round(events / ((now - started) / 1000))} events/s`);
      }
    }
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  db.close();
  samples.firstAt = new Date(EPOCH).toISOString();
  samples.lastAt = new Date(EPOCH + SPAN_MS).toISOString();
  return { events, messages, seconds, samples, contacts: records.contacts, companies: records.companies };
}

/**
 * The contact-records manager (application/contacts/contact-records.saga.ts) as the generator's
 * own step: for a conversation's events, the appends that manager makes when it handles them on
 * a live server (ConversationStarted: the contact's record; a later message with a name: the
 * name of an unnamed record; ContactCreated: its company by email domain, made first when none
 * holds the domain), decided by the contact and company deciders from state kept here, with the
 * manager's metadata (system actor, caused by the event it handles). The record settings are
 * never changed in the dataset, so the free-mail domains are the defaults.
 */
function contactRecords(eventId) {
  const { contactDecider } = dist('domain/contact/contact.decider.js');
  const { companyDecider, companyNameFromDomain } = dist('domain/company/company.decider.js');
  const { identityOf, emailDomain } = dist('domain/contact/identity.js');
  const { DEFAULT_FREE_MAIL_DOMAINS } = dist('domain/record-settings/record-properties.js');
  const { normalizeAddress } = dist('domain/shared/address.js');
  const { deriveIds, streams } = parley();
  /** Stream id -> { revision, state } of every contact and company written so far. */
  const folded = new Map();
  /** Email domain -> the company holding it. */
  const companyOfDomain = new Map();
  let contacts = 0;
  let companies = 0;

  const decide = (decider, streamId, command, cause, appends) => {
    const current = folded.get(streamId) ?? { revision: -1, state: decider.initialState() };
    const decided = decider.decide(command, current.state);
    if (decided.length === 0) return [];
    const metadata = { actor: { type: 'system' }, occurredAt: cause.metadata.occurredAt, correlationId: cause.metadata.correlationId, causationId: cause.id };
    const recorded = decided.map((event) => ({ id: eventId(), type: event.type, data: event.data, metadata }));
    let append = appends.at(-1);
    if (append?.streamId !== streamId) {
      append = { streamId, expectedRevision: current.revision === -1 ? 'no-stream' : current.revision, events: [] };
      appends.push(append);
    }
    append.events.push(...recorded);
    folded.set(streamId, { revision: current.revision + decided.length, state: decided.reduce(decider.evolve, current.state) });
    return recorded;
  };

  const joinCompanyByDomain = (contactId, created, appends) => {
    const contact = folded.get(streams.contact(contactId)).state;
    if (contact.status !== 'active' || contact.companyId) return;
    const domain = created.data.identities
      .filter((identity) => identity.kind === 'email')
      .map((identity) => emailDomain(identity.value))
      .find((d) => d !== null && !DEFAULT_FREE_MAIL_DOMAINS.includes(d));
    if (!domain) return;
    let companyId = companyOfDomain.get(domain);
    if (!companyId) {
      companyId = deriveIds.company(domain);
      const data = { companyId, name: companyNameFromDomain(domain), domain, source: 'email-domain', createdAt: created.metadata.occurredAt };
      if (decide(companyDecider, streams.company(companyId), { type: 'CreateCompany', data }, created, appends).length > 0) companies += 1;
      companyOfDomain.set(domain, companyId);
    }
    decide(contactDecider, streams.contact(contactId), { type: 'AssociateCompany', data: { companyId } }, created, appends);
  };

  return {
    get contacts() {
      return contacts;
    },
    get companies() {
      return companies;
    },
    /** The appends the manager makes for one conversation's new events, in the order it makes them. */
    after(events) {
      const appends = [];
      const started = events.find((event) => event.type === 'ConversationStarted');
      if (!started) return appends;
      const { channel, contact } = started.data;
      const name = contact.name?.trim();
      const create = {
        type: 'CreateContact',
        data: {
          contactId: contact.id,
          identities: [identityOf(channel, contact.address)],
          ...(name ? { name } : {}),
          source: 'inbound',
          createdAt: started.metadata.occurredAt,
        },
      };
      const [created] = decide(contactDecider, streams.contact(contact.id), create, started, appends);
      if (!created && name) decide(contactDecider, streams.contact(contact.id), { type: 'FillContactName', data: { name } }, started, appends);
      for (const event of events) {
        const from = event.type === 'MessageReceived' ? event.data.from : undefined;
        if (!from?.name?.trim() || !from.address || normalizeAddress(from.address) !== normalizeAddress(contact.address)) continue;
        decide(contactDecider, streams.contact(contact.id), { type: 'FillContactName', data: { name: from.name } }, event, appends);
      }
      if (created) {
        contacts += 1;
        joinCompanyByDomain(contact.id, created, appends);
      }
      return appends;
    },
  };
}

/** Runs the server's ProjectionRunner until it has applied the whole log. */
export async function project(dataDir, log = () => {}) {
  const p = parley();
  const file = p.databaseFile(dataDir);
  const eventDb = p.openDatabase(file, { synchronous: 'FULL' });
  const readDb = p.openDatabase(file, { synchronous: 'NORMAL' });
  // A bench dataset, regenerated when lost: its read models need not survive a power cut.
  readDb.pragma('synchronous = OFF');
  const store = new p.SqliteEventStore(eventDb);
  try {
    const { runner } = p.createSqliteReadSide({ db: readDb, eventStore: store, logger: silentLogger() });
    const head = await store.headPosition();
    const from = runner.position();
    const started = performance.now();
    runner.start();
    const progress = setInterval(() => {
      const at = runner.position();
      const seconds = (performance.now() - started) / 1000;
      log(`  projected ${at - from}/${head - from} events, ${Math.round((at - from) / seconds)} events/s`);
    }, 15_000);
    try {
      while (!(await runner.waitFor(head, 60_000))) {
        /* keep waiting: progress is logged */
      }
    } finally {
      clearInterval(progress);
      await runner.stop();
    }
    return { events: head - from, seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
    readDb.pragma('wal_checkpoint(TRUNCATE)');
    readDb.close();
    eventDb.close();
  }
}

/**
 * The generator's projection pass: `parley replay`'s own rebuild (ReadModelRebuild, its lanes in
 * threads), so generating is no slower than the rebuild the replay figure times, then swapped in.
 */
async function rebuild(dataDir) {
  const p = parley();
  const started = performance.now();
  const built = await p.ReadModelRebuild.build({ dataDir, logTo: process.stderr });
  try {
    const seconds = (performance.now() - started) / 1000;
    await built.swapIn();
    return { events: built.events, seconds };
  } finally {
    await built.close();
  }
}

/**
 * Each process manager follows the log from its own checkpoint; left at the setup's position, all
 * of them would read the millions of generated events on the next start. Their checkpoints move
 * to the head through the read store's own ProcessorCheckpoints port, but only when every
 * reaction of every manager of the build (every *.saga.js) to a generated event type is accounted
 * for in NO_OPS, and each reason there holds on this log: a manager that reacts otherwise, or a
 * reason that no longer holds, stops the generator.
 */
function settleProcessManagers(dataDir) {
  const managers = processManagers();
  const generated = [...GENERATED_EVENT_TYPES, ...CONTACT_EVENT_TYPES];
  const p = parley();
  const db = p.openDatabase(p.databaseFile(dataDir), { synchronous: 'NORMAL' });
  try {
    for (const { name, handles } of managers) {
      const reacting = handles.filter((type) => generated.includes(type));
      if (reacting.length === 0) continue;
      const noOp = NO_OPS[name];
      const unexplained = reacting.filter((type) => !noOp?.types.includes(type));
      if (unexplained.length > 0) {
        throw new Error(
          `process manager ${name} reacts to generated ${unexplained.join(', ')}: the generator cannot skip it; write what it writes (as contactRecords does), bump GENERATOR_VERSION`,
        );
      }
      const broken = noOp.holds(db);
      if (broken) throw new Error(`process manager ${name} would write in this history (${broken}): the generator cannot skip it`);
    }
    const head = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck().get();
    const { readStore } = p.createSqliteReadSide({ db, eventStore: { subscribeAll() {} }, logger: silentLogger() });
    const names = [...new Set([...managers.map((m) => m.name), ...db.prepare('SELECT name FROM processor_checkpoints').pluck().all()])];
    for (const name of names) readStore.saveProcessorCheckpoint(name, head);
    return { names, position: head };
  } finally {
    db.close();
  }
}

const count = (db, sql, ...params) =>
  db
    .prepare(sql)
    .pluck()
    .get(...params);
/** Null when no generated event is younger than `ms` before now, else what is. */
const olderThan = (db, ms) => {
  const newest = count(
    db,
    `SELECT MAX(json_extract(metadata, '$.occurredAt')) FROM events WHERE type IN ('ConversationClosed', 'MessageReceived', 'CommentAdded', 'ConversationAssigned')`,
  );
  return newest && Date.now() - Date.parse(newest) < ms ? `an event of ${newest} is recent` : null;
};

/**
 * Why each manager's reaction to a generated type writes nothing more in this history; `holds`
 * checks it on the log (null when it holds, else what breaks it).
 */
const NO_OPS = {
  // Its appends are in the log already: contactRecords wrote them after each conversation.
  'contact-records': { types: ['ConversationStarted', 'MessageReceived', 'ContactCreated'], holds: () => null },
  // Hands conversations out only while an inbox routes; routing is off until an InboxRoutingSet turns it on.
  'auto-assign-conversations': {
    types: GENERATED_EVENT_TYPES,
    holds: (db) => (count(db, `SELECT COUNT(*) FROM events WHERE type = 'InboxRoutingSet'`) > 0 ? 'an inbox sets its routing' : null),
  },
  // Unassigns only when the assignee was removed.
  'unassign-when-assigned-to-removed-agent': {
    types: ['ConversationAssigned'],
    holds: (db) => (count(db, `SELECT COUNT(*) FROM events WHERE type = 'AgentRemoved'`) > 0 ? 'an agent was removed' : null),
  },
  // Bots act only in conversations of an inbox that has a bot; there is none.
  'flow-bot': { types: ['ConversationAssigned', 'MessageReceived'], holds: (db) => noBot(db) },
  'webhook-bot-events': { types: ['MessageReceived', 'ConversationClosed', 'ConversationAssigned'], holds: (db) => noBot(db) },
  // Both skip events older than a day (notifications) or three days (transcripts): the whole
  // history is. A live server would have notified the assignees and mailed chat transcripts at
  // the time; the dataset leaves those out (a difference from a live log, not generated yet).
  'notify-agents': { types: ['CommentAdded', 'ConversationAssigned', 'MessageReceived'], holds: (db) => olderThan(db, 86_400_000) },
  'send-transcript-when-chat-closed': { types: ['ConversationClosed'], holds: (db) => olderThan(db, 3 * 86_400_000) },
};

function noBot(db) {
  return count(db, `SELECT COUNT(*) FROM events WHERE stream_id LIKE 'bot-%'`) > 0 ? 'a bot exists' : null;
}

/** Every *.saga.js of the build, instantiated without dependencies only to read name and handles. */
function processManagers() {
  const folder = join(DIST, 'application');
  const managers = [];
  for (const file of readdirSync(folder, { recursive: true }).filter((f) => f.endsWith('.saga.js'))) {
    for (const exported of Object.values(rootRequire(join(folder, file)))) {
      if (typeof exported !== 'function' || !/^class\b/.test(Function.prototype.toString.call(exported))) continue;
      const instance = new exported();
      if (typeof instance.name === 'string' && Array.isArray(instance.handles)) managers.push({ name: instance.name, handles: [...instance.handles] });
    }
  }
  return managers;
}

function pickWeighted(options, x) {
  let sum = 0;
  for (const [value, weight] of options) {
    sum += weight;
    if (x < sum) return value;
  }
  return options[options.length - 1][0];
}

export const ADMIN_CREDENTIALS = ADMIN;
