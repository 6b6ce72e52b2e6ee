import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { runCli } from '../cli/cli-process';
import { expectReadModelsEqualRebuilds, readWholeLog } from '../support/rebuild-comparison';
import { call, login, type Reply } from '../support/server-http';
import {
  buildServer,
  builtCliEntry,
  delay,
  describeFetchError,
  expectGracefulExit,
  removeServerBuild,
  startServer,
  stopAllServers,
  type ServerProcess,
} from '../support/server-process';

/**
 * The fault test (issue 11): one data folder, ROUNDS times "start the real server, put a mixed
 * load on it, SIGKILL it at a random moment while requests are in flight". The load is three
 * kinds of clients at once:
 *
 * - integrations posting API-channel messages (unique external ids; some posted twice at once,
 *   some again later, and whatever got no answer is redelivered in the next round);
 * - mail servers delivering email over real SMTP (a 250 after DATA is the acknowledgement; new
 *   threads, replies, re-sends of accepted mail, and the next round retries what got no 250);
 * - agents working conversations that exist (assign, unassign, comment, close, reopen, spam,
 *   not spam, trash, restore; a 2xx is the acknowledgement).
 *
 * After a random delay one round kills at that instant, the others in the very callback that
 * receives an acknowledgement of one kind (a server that answers before its write is durable
 * loses exactly that write there).
 *
 * Then a clean restart proves: every acknowledged message and every accepted email is stored
 * exactly once; once the unanswered ones are redelivered, everything ever sent is stored exactly
 * once (nothing lost); every acknowledged command's event is in its conversation's history, at
 * the revision its answer named, and no command took effect twice; the read models equal a
 * rebuild from the log (in process, and `parley replay --check`); `parley audit verify` finds every
 * hash chain intact.
 *
 * Random choices come from one seed (printed with the figures; PARLEY_FAULT_SEED=<n> repeats its
 * choices, though not the machine's timing). Every loop is bounded by a count, every wait by a clock.
 * The tests run in order and share the data folder.
 */

const ROUNDS = 4;
const API_WORKERS = 3;
const SMTP_WORKERS = 6;
const COMMAND_WORKERS = 3;
const API_THREADS = 40;
const COMMAND_CONVERSATIONS = 12;
/** The kill lands somewhere in [KILL_MIN_MS, KILL_MAX_MS) after the load started… */
const KILL_MIN_MS = 300;
const KILL_MAX_MS = 1500;
/** …once every kind of client had an acknowledgement in this round, or this much later at most. */
const FIRST_ACKS_WAIT_MS = 15_000;
/** Upper bounds on what one round's clients start (never reached at the kill times above). */
const MAX_API_POSTS_PER_ROUND = 6000;
const MAX_EMAILS_PER_ROUND = 2000;
const MAX_COMMANDS_PER_ROUND = 4000;
/** How long a SIGTERMed server may take to exit by itself (main.ts gives up after 15 s). */
const GRACEFUL_EXIT_MS = 10_000;
const INBOX_ADDRESS = 'support@localhost';
const SECOND_AGENT = { name: 'Fault Second', email: 'second@example.com', password: 'second-agent-password-1', role: 'admin' };

const SEED = process.env.PARLEY_FAULT_SEED ? Number(process.env.PARLEY_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);

/** mulberry32: a small seeded generator, so a failing run's choices can be repeated. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(SEED);
const randomInt = (min: number, maxExclusive: number) => min + Math.floor(random() * (maxExclusive - min));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Every stored message says which post or email it came from: `ext=<id> thread=<id>`. */
const marker = (ext: string, thread: string) => `ext=${ext} thread=${thread}`;
function parseMarker(text: string): { ext: string; thread: string } | null {
  const match = /^ext=(\S+) thread=(\S+)$/.exec(text.trim());
  return match ? { ext: match[1], thread: match[2] } : null;
}

// ---- what was sent and what was acknowledged, over all rounds --------------------------------------

interface ApiMessage {
  externalThreadId: string;
  externalMessageId: string;
  from: { address: string; name: string };
  subject: string;
  text: string;
}

interface ApiAck {
  ext: string;
  status: number;
  conversationId: string;
  messageId: string;
  duplicate: boolean;
}

interface Email {
  /** As the header carries it and Parley keeps it: `<local@domain>`. */
  messageId: string;
  /** The Message-ID of the thread's first email. */
  root: string;
  from: string;
  raw: string;
}

type Action = 'assign' | 'unassign' | 'comment' | 'close' | 'reopen' | 'spam' | 'not-spam' | 'trash' | 'restore';

const EVENT_OF: Record<Action, string> = {
  assign: 'ConversationAssigned',
  unassign: 'ConversationUnassigned',
  comment: 'CommentAdded',
  close: 'ConversationClosed',
  reopen: 'ConversationReopened',
  spam: 'ConversationMarkedAsSpam',
  'not-spam': 'ConversationMarkedAsNotSpam',
  trash: 'ConversationTrashed',
  restore: 'ConversationRestored',
};

interface Command {
  conversationId: string;
  action: Action;
  /** assign: the agent; comment: the note. */
  assignee?: string;
  text?: string;
  round: number;
}

interface CommandAck extends Command {
  revision: number;
  events: string[];
  commentId?: string;
}

/** What the agents know of a conversation they work on (re-read from the server after each restart). */
interface ConversationState {
  status: 'open' | 'closed';
  spam: boolean;
  trashed: boolean;
  assignee: string | null;
}

class Ledger {
  readonly apiSent = new Map<string, ApiMessage>();
  readonly apiAcks: ApiAck[] = [];
  readonly emailsSent = new Map<string, Email>();
  /** One entry per 250 (a re-sent email has several). */
  readonly emailAcks: Array<{ messageId: string; response: string; alreadyAccepted: boolean }> = [];
  readonly commandAcks: CommandAck[] = [];
  /** Commands whose request went out but whose answer never came: each may or may not have taken effect. */
  readonly commandsUnanswered: Command[] = [];
  /** Any failure while the server was supposed to be up, any non-2xx / non-250 answer: each one fails the test. */
  readonly problems: string[] = [];

  apiUnanswered(): ApiMessage[] {
    const acked = new Set(this.apiAcks.map((a) => a.ext));
    return [...this.apiSent.values()].filter((m) => !acked.has(m.externalMessageId));
  }
  emailAccepted(messageId: string): boolean {
    return this.emailAcks.some((a) => a.messageId === messageId);
  }
  emailsUnanswered(): Email[] {
    const accepted = new Set(this.emailAcks.map((a) => a.messageId));
    return [...this.emailsSent.values()].filter((e) => !accepted.has(e.messageId));
  }
}

// ---- the clients ------------------------------------------------------------------------------------

type Kind = 'api' | 'smtp' | 'command';
/**
 * Where a round's SIGKILL lands, once its random delay has passed: at a random instant, or in the
 * very callback that receives an acknowledgement of one kind (the sharpest test of "acknowledged
 * only once durable": a server that answered before storing loses that one).
 */
type KillTrigger = 'instant' | Kind;

class RoundControl {
  stopped = false;
  /** Set once the random delay passed: the next acknowledgement of kind `trigger` kills. */
  armed = false;
  readonly inFlight: Record<Kind, number> = { api: 0, smtp: 0, command: 0 };
  readonly acks: Record<Kind, number> = { api: 0, smtp: 0, command: 0 };
  readonly unanswered: Record<Kind, number> = { api: 0, smtp: 0, command: 0 };
  /** How long each acknowledged request took (ms), for the figures. */
  readonly latencies: Record<Kind, number[]> = { api: [], smtp: [], command: [] };
  inFlightAtKill: Record<Kind, number> | null = null;

  constructor(
    readonly round: number,
    readonly trigger: KillTrigger,
    private readonly server: ServerProcess,
  ) {}

  acknowledged(kind: Kind, sentAt: number): void {
    this.acks[kind] += 1;
    this.latencies[kind].push(Date.now() - sentAt);
    if (this.armed && this.trigger === kind) this.kill();
  }

  /** Synchronously: the flag first, so every failure from here on counts as cut off by the kill. */
  kill(): void {
    if (this.stopped) return;
    this.inFlightAtKill = { ...this.inFlight };
    this.stopped = true;
    this.server.signal('SIGKILL');
  }
}

/** Integrations: first what is owed (never answered, and a few acknowledged ones again), then new messages. */
function apiQueue(ledger: Ledger, round: number): () => ApiMessage | null {
  const acked = [...new Set(ledger.apiAcks.map((a) => a.ext))];
  const queue: ApiMessage[] = [...ledger.apiUnanswered()];
  for (let i = 0; i < 3 && acked.length > 0; i += 1) queue.push(ledger.apiSent.get(pick(acked))!);
  const later = new Map<number, ApiMessage[]>();
  let i = 0;
  let handedOut = 0;
  return () => {
    if (handedOut >= MAX_API_POSTS_PER_ROUND) return null;
    if (queue.length === 0) {
      const thread = `fault-api-thread-${i % API_THREADS}`;
      const ext = `fault-api-${round}-${i}`;
      const m: ApiMessage = {
        externalThreadId: thread,
        externalMessageId: ext,
        from: { address: `customer${i % API_THREADS}@example.org`, name: `Customer ${i % API_THREADS}` },
        subject: `Question ${i % API_THREADS}`,
        text: marker(ext, thread),
      };
      ledger.apiSent.set(ext, m);
      queue.push(m);
      // Posted twice at once (the two race each other), or again a little later (a redelivery).
      if (i % 7 === 3) queue.push(m);
      if (i % 11 === 5) later.set(i + 25, [...(later.get(i + 25) ?? []), m]);
      queue.push(...(later.get(i) ?? []));
      later.delete(i);
      i += 1;
    }
    handedOut += 1;
    return queue.shift()!;
  };
}

async function apiWorker(baseUrl: string, token: string, next: () => ApiMessage | null, ledger: Ledger, control: RoundControl): Promise<void> {
  for (let m = next(); m !== null && !control.stopped; m = next()) {
    control.inFlight.api += 1;
    const sentAt = Date.now();
    let reply: Reply | null = null;
    try {
      reply = await call(baseUrl, 'POST', '/api/channels/api/messages', { token, body: m });
    } catch (error) {
      if (control.stopped) control.unanswered.api += 1;
      else ledger.problems.push(`round ${control.round}: API post ${m.externalMessageId} failed before the kill: ${describeFetchError(error)}`);
    } finally {
      control.inFlight.api -= 1;
    }
    if (reply === null) continue;
    if (reply.status === 200 || reply.status === 201) {
      const { conversationId, messageId, duplicate } = reply.body as ApiAck;
      ledger.apiAcks.push({ ext: m.externalMessageId, status: reply.status, conversationId, messageId, duplicate });
      control.acknowledged('api', sentAt);
    } else {
      ledger.problems.push(`round ${control.round}: API post ${m.externalMessageId} answered ${reply.status} ${JSON.stringify(reply.body)}`);
    }
  }
}

function rawEmail(e: { messageId: string; root: string; from: string; subject: string; parents: string[] }): string {
  const bare = (id: string) => id.slice(1, -1);
  return [
    `From: ${e.from.split('@')[0]} <${e.from}>`,
    `To: Support <${INBOX_ADDRESS}>`,
    `Subject: ${e.subject}`,
    `Message-ID: ${e.messageId}`,
    ...(e.parents.length > 0 ? [`In-Reply-To: ${e.parents[e.parents.length - 1]}`, `References: ${e.parents.join(' ')}`] : []),
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    marker(bare(e.messageId), bare(e.root)),
    '',
  ].join('\r\n');
}

/**
 * Mail servers: first what never got a 250 (an MTA retries), then new threads, replies to accepted
 * mail (threaded by In-Reply-To / References) and, now and then, an accepted email once more.
 */
function emailQueue(ledger: Ledger, round: number): () => Email | null {
  const queue: Email[] = [...ledger.emailsUnanswered()];
  const threads = new Map<string, string[]>(); // root -> the thread's accepted ids, in order
  let j = 0;
  let handedOut = 0;
  return () => {
    if (handedOut >= MAX_EMAILS_PER_ROUND) return null;
    if (queue.length === 0) {
      const accepted = [...new Set(ledger.emailAcks.map((a) => a.messageId))];
      const messageId = `<fault-mail-${round}-${j}@client.test>`;
      if (j % 6 === 5 && accepted.length > 0) {
        queue.push(ledger.emailsSent.get(pick(accepted))!);
      } else if (j % 3 === 1 && accepted.length > 0) {
        const parent = ledger.emailsSent.get(pick(accepted))!;
        threads.clear();
        for (const a of accepted) {
          const e = ledger.emailsSent.get(a)!;
          threads.set(e.root, [...(threads.get(e.root) ?? []), e.messageId]);
        }
        const parents = threads.get(parent.root)!;
        const subject = `Re: Fault thread ${parent.root.slice(1, -1)}`;
        const email: Email = {
          messageId,
          root: parent.root,
          from: parent.from,
          raw: rawEmail({ messageId, root: parent.root, from: parent.from, subject, parents }),
        };
        ledger.emailsSent.set(messageId, email);
        queue.push(email);
      } else {
        const from = `writer${j % 20}@example.net`;
        const email: Email = {
          messageId,
          root: messageId,
          from,
          raw: rawEmail({ messageId, root: messageId, from, subject: `Fault thread ${messageId.slice(1, -1)}`, parents: [] }),
        };
        ledger.emailsSent.set(messageId, email);
        queue.push(email);
      }
      j += 1;
    }
    handedOut += 1;
    return queue.shift()!;
  };
}

async function smtpWorker(smtpPort: number, next: () => Email | null, ledger: Ledger, control: RoundControl, host: string): Promise<void> {
  // No pool: every email is one SMTP session, as from independent mail servers, each from its own address
  // (the server takes only a few sessions from one host at a time).
  const transport = createTransport({
    host: '127.0.0.1',
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
    localAddress: host,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    for (let email = next(); email !== null && !control.stopped; email = next()) {
      const alreadyAccepted = ledger.emailAccepted(email.messageId);
      control.inFlight.smtp += 1;
      const sentAt = Date.now();
      try {
        const info = await transport.sendMail({ envelope: { from: email.from, to: [INBOX_ADDRESS] }, raw: email.raw });
        if (/^250 /.test(info.response)) {
          ledger.emailAcks.push({ messageId: email.messageId, response: info.response, alreadyAccepted });
          control.acknowledged('smtp', sentAt);
        } else {
          ledger.problems.push(`round ${control.round}: email ${email.messageId} answered ${info.response}`);
        }
      } catch (error) {
        const { responseCode, response, message } = error as { responseCode?: number; response?: string; message?: string };
        if (typeof responseCode === 'number') ledger.problems.push(`round ${control.round}: email ${email.messageId} refused: ${response ?? message}`);
        else if (control.stopped) control.unanswered.smtp += 1;
        else ledger.problems.push(`round ${control.round}: email ${email.messageId} failed before the kill: ${message}`);
      } finally {
        control.inFlight.smtp -= 1;
      }
    }
  } finally {
    transport.close();
  }
}

/**
 * One command that is valid in the state the agent knows, so each acknowledged one writes exactly
 * one event. Of the valid ones, the kind sent least so far (ties at random): every kind gets its turn.
 */
function chooseCommand(
  conversationId: string,
  state: ConversationState,
  agents: readonly string[],
  sent: Record<Action, number>,
  round: number,
  n: number,
): Command {
  const valid: Action[] = state.trashed
    ? ['restore']
    : [
        'comment',
        'assign',
        ...(state.assignee !== null ? (['unassign'] as const) : []),
        state.status === 'open' ? 'close' : 'reopen',
        state.spam ? 'not-spam' : 'spam',
        'trash',
      ];
  const fewest = Math.min(...valid.map((a) => sent[a]));
  const action = pick(valid.filter((a) => sent[a] === fewest));
  sent[action] += 1;
  if (action === 'comment') return { conversationId, action, text: `fault note ${round}-${conversationId.slice(0, 8)}-${n}`, round };
  if (action === 'assign') return { conversationId, action, assignee: agents.find((a) => a !== state.assignee)!, round };
  return { conversationId, action, round };
}

function request(command: Command): { path: string; body?: unknown } {
  const base = `/api/conversations/${command.conversationId}`;
  switch (command.action) {
    case 'assign':
      return { path: `${base}/assign`, body: { assignee: command.assignee } };
    case 'unassign':
      return { path: `${base}/assign`, body: { assignee: null } };
    case 'comment':
      return { path: `${base}/comments`, body: { text: command.text } };
    default:
      return { path: `${base}/${command.action}` };
  }
}

function afterCommand(state: ConversationState, command: Command): ConversationState {
  switch (command.action) {
    case 'assign':
      return { ...state, assignee: command.assignee! };
    case 'unassign':
      return { ...state, assignee: null };
    case 'close':
      return { ...state, status: 'closed' };
    case 'reopen':
      return { ...state, status: 'open' };
    case 'spam':
      return { ...state, spam: true };
    case 'not-spam':
      return { ...state, spam: false };
    case 'trash':
      return { ...state, trashed: true };
    case 'restore':
      return { ...state, trashed: false };
    case 'comment':
      return state;
  }
}

/** An agent working its own conversations (no other client touches them, so its view of their state is exact). */
async function commandWorker(
  baseUrl: string,
  token: string,
  states: Map<string, ConversationState>,
  agents: readonly string[],
  ledger: Ledger,
  control: RoundControl,
  budget: { left: number },
  sent: Record<Action, number>,
): Promise<void> {
  const mine = [...states.keys()];
  for (let n = 0; !control.stopped && budget.left > 0; n += 1) {
    budget.left -= 1;
    const conversationId = pick(mine);
    const command = chooseCommand(conversationId, states.get(conversationId)!, agents, sent, control.round, n);
    const { path, body } = request(command);
    control.inFlight.command += 1;
    const sentAt = Date.now();
    let reply: Reply | null = null;
    try {
      reply = await call(baseUrl, 'POST', path, { token, body });
    } catch (error) {
      if (control.stopped) {
        ledger.commandsUnanswered.push(command);
        control.unanswered.command += 1;
      } else {
        ledger.problems.push(`round ${control.round}: ${command.action} on ${conversationId} failed before the kill: ${describeFetchError(error)}`);
      }
    } finally {
      control.inFlight.command -= 1;
    }
    if (reply === null) continue;
    if (reply.status === 200 || reply.status === 201) {
      const { revision, events, commentId } = reply.body as { revision: number; events: string[]; commentId?: string };
      ledger.commandAcks.push({ ...command, revision, events, ...(commentId ? { commentId } : {}) });
      control.acknowledged('command', sentAt);
      states.set(conversationId, afterCommand(states.get(conversationId)!, command));
    } else {
      ledger.problems.push(`round ${control.round}: ${command.action} on ${conversationId} answered ${reply.status} ${JSON.stringify(reply.body)}`);
      return; // its view of the conversation is wrong now; the round's checks report why
    }
  }
}

/** The median of each kind's latencies (null when none was acknowledged). */
function medians(latencies: Record<Kind, number[]>): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(latencies).map(([kind, values]) => [kind, values.length === 0 ? null : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]]),
  );
}

// ---- reading the server ---------------------------------------------------------------------------

async function conversationState(baseUrl: string, token: string, id: string): Promise<ConversationState> {
  const res = await call(baseUrl, 'GET', `/api/conversations/${id}`, { token });
  if (res.status !== 200) throw new Error(`GET conversation ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  const c = res.body as { status: 'open' | 'closed'; spam: boolean; trashed: boolean; assignee: { type: string; id?: string } | null };
  return { status: c.status, spam: c.spam, trashed: c.trashed, assignee: c.assignee?.type === 'agent' ? c.assignee.id! : null };
}

interface StoredMessage {
  id: string;
  conversationId: string;
  text: string;
}

interface Snapshot {
  conversations: string[];
  messages: StoredMessage[];
  comments: Array<{ id: string; conversationId: string; text: string }>;
}

/** Every conversation the search lists (Trash included), with its messages and comments. */
async function snapshot(baseUrl: string, token: string): Promise<Snapshot> {
  const conversations: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const res: Reply = await call(baseUrl, 'GET', `/api/conversations?hideTrash=false&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      token,
    });
    expect(res.status).toBe(200);
    conversations.push(...(res.body.items as Array<{ id: string }>).map((c) => c.id));
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  expect(cursor).toBeFalsy();
  const messages: StoredMessage[] = [];
  const comments: Snapshot['comments'] = [];
  for (const id of conversations) {
    const detail = await call(baseUrl, 'GET', `/api/conversations/${id}`, { token });
    expect(detail.status).toBe(200);
    for (const m of detail.body.messages as Array<{ id: string; text: string }>) messages.push({ id: m.id, conversationId: id, text: m.text });
    for (const c of detail.body.comments as Array<{ id: string; text: string }>) comments.push({ id: c.id, conversationId: id, text: c.text });
  }
  return { conversations, messages, comments };
}

/**
 * What must hold whatever the kills did: no message stored twice (by Parley's id, by external id
 * or Message-ID); each thread one conversation; every acknowledged API message stored once where
 * its acknowledgement said; every accepted email stored once; everything stored was sent.
 * `mustBeStored` adds what must be there besides the acknowledged (after redelivery: everything).
 */
function checkMessages(snap: Snapshot, ledger: Ledger, mustBeStored: { api: Iterable<string>; email: Iterable<string> }): { api: number; email: number } {
  expect(new Set(snap.conversations).size).toBe(snap.conversations.length);
  const byId = new Map<string, StoredMessage[]>();
  for (const m of snap.messages) byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
  expect([...byId].filter(([, copies]) => copies.length > 1).map(([id, copies]) => ({ id, conversations: copies.map((c) => c.conversationId) }))).toEqual([]);

  expect(snap.messages.filter((m) => parseMarker(m.text) === null)).toEqual([]);
  const byExt = new Map<string, StoredMessage[]>();
  const conversationsOfThread = new Map<string, Set<string>>();
  for (const m of snap.messages) {
    const { ext, thread } = parseMarker(m.text)!;
    byExt.set(ext, [...(byExt.get(ext) ?? []), m]);
    conversationsOfThread.set(thread, new Set([...(conversationsOfThread.get(thread) ?? []), m.conversationId]));
  }
  expect([...byExt].filter(([, copies]) => copies.length > 1).map(([ext, copies]) => ({ ext, copies }))).toEqual([]);
  expect([...conversationsOfThread].filter(([, ids]) => ids.size > 1).map(([thread, ids]) => ({ thread, conversations: [...ids] }))).toEqual([]);
  // …and each conversation holds one thread.
  expect(conversationsOfThread.size).toBe(new Set(snap.messages.map((m) => m.conversationId)).size);

  const problems: string[] = [];
  const firstAck = new Map<string, ApiAck>();
  for (const ack of ledger.apiAcks) {
    const first = firstAck.get(ack.ext) ?? ack;
    firstAck.set(ack.ext, first);
    if (first.conversationId !== ack.conversationId || first.messageId !== ack.messageId) {
      problems.push(`${ack.ext} was acknowledged twice with different ids: ${JSON.stringify(first)} vs ${JSON.stringify(ack)}`);
    }
    const copies = byId.get(ack.messageId) ?? [];
    if (copies.length !== 1) problems.push(`API message ${ack.ext} (message ${ack.messageId}, acknowledged ${ack.status}) is stored ${copies.length} times`);
    else if (copies[0].conversationId !== ack.conversationId || parseMarker(copies[0].text)?.ext !== ack.ext) {
      problems.push(`API message ${ack.ext} (message ${ack.messageId}) is stored as ${JSON.stringify(copies[0])}, not in ${ack.conversationId}`);
    }
  }
  // A message is stored once, so across all its posts (raced, redelivered) at most one answer says "stored" (201).
  const created = new Map<string, number>();
  for (const ack of ledger.apiAcks) if (ack.status === 201 || !ack.duplicate) created.set(ack.ext, (created.get(ack.ext) ?? 0) + 1);
  for (const [ext, n] of created) if (n > 1) problems.push(`API message ${ext} was answered "stored, not a duplicate" ${n} times`);
  const bare = (id: string) => id.slice(1, -1);
  for (const messageId of new Set(ledger.emailAcks.map((a) => a.messageId))) {
    const copies = byExt.get(bare(messageId))?.length ?? 0;
    if (copies !== 1) problems.push(`email ${messageId}, accepted with 250, is stored ${copies} times`);
  }
  for (const ext of mustBeStored.api) if (!byExt.has(ext)) problems.push(`API message ${ext} is not stored`);
  for (const messageId of mustBeStored.email) if (!byExt.has(bare(messageId))) problems.push(`email ${messageId} is not stored`);
  expect(problems).toEqual([]);

  // Nothing stored that was never sent (unacknowledged is fine: it was in flight at a kill).
  const sent = new Set([...ledger.apiSent.keys(), ...[...ledger.emailsSent.keys()].map(bare)]);
  expect([...byExt.keys()].filter((ext) => !sent.has(ext))).toEqual([]);
  const stored = [...byExt.keys()];
  return { api: stored.filter((ext) => ledger.apiSent.has(ext)).length, email: stored.length - stored.filter((ext) => ledger.apiSent.has(ext)).length };
}

// ---- the scenario -----------------------------------------------------------------------------------

describe('fault test: SIGKILL under mixed load, several times, on one data folder (issue 11)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-fault-'));
  const rebuildDir = mkdtempSync(join(tmpdir(), 'parley-fault-rebuild-'));
  const ledger = new Ledger();
  const stats: Record<string, unknown> = { seed: SEED, rounds: ROUNDS };
  const rounds: Array<Record<string, unknown>> = [];
  /** The conversations the agents work on, and the two agents they assign to. */
  const worked: string[] = [];
  let agents: string[] = [];
  let adminId = '';
  let server: ServerProcess | undefined;
  let killed = 0;
  let cleanStop = false;
  /** One round kills at a random instant, the others each at an acknowledgement of one kind; in a seeded order. */
  const triggers: KillTrigger[] = (['instant', 'api', 'smtp', 'command'] as const)
    .map((t) => [random(), t] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, t]) => t);
  /** Commands sent per kind, over all rounds. */
  const commandsSent = Object.fromEntries(Object.keys(EVENT_OF).map((a) => [a, 0])) as Record<Action, number>;
  /** The last snapshot, taken once everything was redelivered. */
  let final: Snapshot | undefined;
  const startedAt = Date.now();

  beforeAll(async () => {
    await buildServer();
  }, 90_000);

  afterAll(async () => {
    await stopAllServers();
    removeServerBuild();
    if (process.env.PARLEY_KEEP_TEST_DATA) {
      process.stdout.write(`fault-mixed-load data kept in ${dataDir} and ${rebuildDir}\n`);
    } else {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(rebuildDir, { recursive: true, force: true });
    }
    process.stdout.write(`fault-mixed-load: ${JSON.stringify({ ...stats, perRound: rounds })}\n`);
  });

  /** Before the first load: a second agent to assign to, and the conversations the agents will work on. */
  async function setUp(baseUrl: string, token: string): Promise<void> {
    adminId = (await call(baseUrl, 'GET', '/api/me', { token })).body.id;
    const second = await call(baseUrl, 'POST', '/api/agents', { token, body: SECOND_AGENT });
    expect(second.status).toBe(201);
    agents = [adminId, second.body.id];
    for (let i = 0; i < COMMAND_CONVERSATIONS; i += 1) {
      const thread = `fault-worked-thread-${i}`;
      const ext = `fault-worked-${i}`;
      const m: ApiMessage = {
        externalThreadId: thread,
        externalMessageId: ext,
        from: { address: `client${i}@example.org`, name: `Client ${i}` },
        subject: `Order ${i}`,
        text: marker(ext, thread),
      };
      ledger.apiSent.set(ext, m);
      const res = await call(baseUrl, 'POST', '/api/channels/api/messages', { token, body: m });
      expect(res.status).toBe(201);
      ledger.apiAcks.push({ ext, status: res.status, ...res.body });
      worked.push(res.body.conversationId);
    }
  }

  async function runRound(round: number): Promise<void> {
    const running = await startServer({ dataDir });
    const token = await login(running.baseUrl);
    if (round === 1) await setUp(running.baseUrl, token);
    // A kill may have cut a command off after it took effect: the agents look again.
    const states = new Map<string, ConversationState>();
    for (const id of worked) states.set(id, await conversationState(running.baseUrl, token, id));

    const control = new RoundControl(round, triggers[(round - 1) % triggers.length], running);
    const nextApi = apiQueue(ledger, round);
    const nextEmail = emailQueue(ledger, round);
    const commandBudget = { left: MAX_COMMANDS_PER_ROUND };
    const killAfterMs = randomInt(KILL_MIN_MS, KILL_MAX_MS);
    const started = Date.now();

    const killer = (async () => {
      await delay(killAfterMs);
      // Mid-load: each kind of client has been answered in this round.
      for (let waited = 0; waited < FIRST_ACKS_WAIT_MS && Object.values(control.acks).includes(0); waited += 20) await delay(20);
      if (control.trigger === 'instant') control.kill();
      control.armed = true;
      for (let waited = 0; waited < FIRST_ACKS_WAIT_MS && !control.stopped; waited += 20) await delay(20);
      control.kill(); // the trigger's acknowledgement did not come in time: kill now rather than wait longer
    })();
    const workers = [
      ...Array.from({ length: API_WORKERS }, () => apiWorker(running.baseUrl, token, nextApi, ledger, control)),
      ...Array.from({ length: SMTP_WORKERS }, (_, i) => smtpWorker(running.smtpPort, nextEmail, ledger, control, `127.0.0.${100 + i}`)),
      ...Array.from({ length: COMMAND_WORKERS }, (_, w) => {
        const own = new Map([...states].filter((_, i) => i % COMMAND_WORKERS === w));
        return commandWorker(running.baseUrl, token, own, agents, ledger, control, commandBudget, commandsSent);
      }),
    ];
    await Promise.all([killer, ...workers]);
    const status = await running.exited;
    killed += status.signal === 'SIGKILL' ? 1 : 0;
    rounds.push({
      round,
      killedOn: control.trigger,
      killedAfterMs: Date.now() - started,
      acked: control.acks,
      inFlightAtKill: control.inFlightAtKill,
      unanswered: control.unanswered,
      medianMs: medians(control.latencies),
    });

    expect(status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(ledger.problems).toEqual([]);
    // Killed mid-load: every kind of client had been answered in this round, and requests were in flight.
    expect(Object.entries(control.acks).filter(([, n]) => n === 0)).toEqual([]);
    expect(Object.values(control.inFlightAtKill!).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
  }

  it(`${ROUNDS} rounds of: start, API messages + SMTP + agent commands at once, SIGKILL mid-load`, async () => {
    for (let round = 1; round <= ROUNDS; round += 1) await runRound(round);
    stats.kills = killed;
    expect(killed).toBe(ROUNDS);
  }, 180_000); // generous: the whole file typically takes about a minute, and a crowded machine must not fail it

  it('after a clean restart every acknowledged message and every accepted email is stored exactly once; redelivered, nothing is lost', async () => {
    expect(killed).toBe(ROUNDS);
    server = await startServer({ dataDir });
    const token = await login(server.baseUrl);
    checkMessages(await snapshot(server.baseUrl, token), ledger, { api: [], email: [] });

    // What never got an answer is redelivered, as integrations and mail servers do.
    const owedApi = ledger.apiUnanswered();
    const owedEmail = ledger.emailsUnanswered();
    for (const m of owedApi) {
      const res = await call(server.baseUrl, 'POST', '/api/channels/api/messages', { token, body: m });
      expect({ ext: m.externalMessageId, status: [200, 201].includes(res.status) }).toEqual({ ext: m.externalMessageId, status: true });
      ledger.apiAcks.push({ ext: m.externalMessageId, status: res.status, ...res.body });
    }
    const transport = createTransport({ host: '127.0.0.1', port: server.smtpPort, secure: false, ignoreTLS: true });
    try {
      for (const email of owedEmail) {
        const info = await transport.sendMail({ envelope: { from: email.from, to: [INBOX_ADDRESS] }, raw: email.raw });
        expect({ messageId: email.messageId, response: info.response }).toEqual({ messageId: email.messageId, response: expect.stringMatching(/^250 /) });
        ledger.emailAcks.push({ messageId: email.messageId, response: info.response, alreadyAccepted: false });
      }
    } finally {
      transport.close();
    }
    final = await snapshot(server.baseUrl, token);
    const stored = checkMessages(final, ledger, { api: ledger.apiSent.keys(), email: ledger.emailsSent.keys() });
    expect(stored).toEqual({ api: ledger.apiSent.size, email: ledger.emailsSent.size });

    // An email accepted before and sent again was recognised as stored.
    expect(ledger.emailAcks.filter((a) => a.alreadyAccepted && !/already/i.test(a.response))).toEqual([]);
    const apiExts = new Set(ledger.apiAcks.map((a) => a.ext));
    Object.assign(stats, {
      apiPosts: ledger.apiAcks.length,
      apiAcked: apiExts.size,
      apiDuplicateAcks: ledger.apiAcks.filter((a) => a.duplicate).length,
      emailsAccepted: ledger.emailAcks.length,
      emailsDistinct: new Set(ledger.emailAcks.map((a) => a.messageId)).size,
      emailThreads: new Set([...ledger.emailsSent.values()].map((e) => e.root)).size,
      redeliveredAtEnd: { api: owedApi.length, email: owedEmail.length },
      storedOnce: stored,
      lost: ledger.apiSent.size + ledger.emailsSent.size - stored.api - stored.email,
      duplicated: final.messages.length - stored.api - stored.email,
    });
  }, 60_000);

  it('every acknowledged command is in its conversation history once, at the revision it answered; none took effect twice', async () => {
    expect(server && final).toBeTruthy();
    const token = await login(server!.baseUrl);
    const problems: string[] = [];
    const commandTypes = new Set(Object.values(EVENT_OF));

    for (const id of worked) {
      const res = await call(server!.baseUrl, 'GET', `/api/conversations/${id}/history`, { token });
      expect(res.status).toBe(200);
      const history = res.body.events as Array<{ revision: number; type: string; actor: { type: string; id?: string }; data: Record<string, any> }>;
      const acks = ledger.commandAcks.filter((a) => a.conversationId === id);
      const claimed = new Set<number>();
      for (const ack of acks) {
        const what = `${ack.action} on ${id} (round ${ack.round}, acknowledged at revision ${ack.revision})`;
        if (JSON.stringify(ack.events) !== JSON.stringify([EVENT_OF[ack.action]])) problems.push(`${what} answered events ${JSON.stringify(ack.events)}`);
        if (claimed.has(ack.revision)) problems.push(`${what}: another acknowledged command named the same revision`);
        claimed.add(ack.revision);
        const event = history.find((e) => e.revision === ack.revision);
        if (!event) {
          problems.push(`${what}: the history has no event at that revision`);
          continue;
        }
        if (event.type !== EVENT_OF[ack.action] || event.actor.type !== 'agent' || event.actor.id !== adminId) {
          problems.push(`${what}: the history holds ${event.type} by ${JSON.stringify(event.actor)} there`);
        }
        if (ack.action === 'comment' && (event.data.commentId !== ack.commentId || event.data.text !== ack.text))
          problems.push(`${what}: the comment there is ${JSON.stringify(event.data)}`);
        if (ack.action === 'assign' && event.data.assignee?.id !== ack.assignee) problems.push(`${what}: assigned to ${JSON.stringify(event.data.assignee)}`);
      }
      // An agent's event that no acknowledgement names must be a command cut off by a kill, each at most once.
      const unanswered = ledger.commandsUnanswered.filter((c) => c.conversationId === id);
      for (const event of history.filter((e) => commandTypes.has(e.type) && e.actor.type === 'agent' && !claimed.has(e.revision))) {
        const match = unanswered.findIndex((c) => EVENT_OF[c.action] === event.type && (c.action !== 'comment' || c.text === event.data.text));
        if (match === -1) problems.push(`${id}: ${event.type} at revision ${event.revision} (${JSON.stringify(event.data)}) matches no command sent`);
        else unanswered.splice(match, 1);
      }
    }
    expect(problems).toEqual([]);

    // The read side agrees: each acknowledged comment is listed once, in its conversation.
    const acknowledgedComments = ledger.commandAcks.filter((a) => a.action === 'comment');
    const listed = new Map<string, number>();
    for (const c of final!.comments) listed.set(`${c.conversationId} ${c.text}`, (listed.get(`${c.conversationId} ${c.text}`) ?? 0) + 1);
    expect(acknowledgedComments.filter((a) => listed.get(`${a.conversationId} ${a.text}`) !== 1).map((a) => a.text)).toEqual([]);
    expect([...listed].filter(([, n]) => n > 1)).toEqual([]);

    const byAction: Record<string, number> = {};
    for (const ack of ledger.commandAcks) byAction[ack.action] = (byAction[ack.action] ?? 0) + 1;
    Object.assign(stats, { commandsAcked: ledger.commandAcks.length, commandsByAction: byAction, commandsUnanswered: ledger.commandsUnanswered.length });
    // Every kind of command was acknowledged at least once.
    expect(Object.keys(byAction).sort()).toEqual(Object.keys(EVENT_OF).sort());

    server!.signal('SIGTERM');
    await expectGracefulExit(server!, GRACEFUL_EXIT_MS);
    cleanStop = true;
  }, 60_000);

  it('the log holds every message and comment once, and the read models equal a rebuild (in process and `parley replay --check`)', async () => {
    expect(cleanStop).toBe(true);
    const liveDb = openDatabase(databaseFile(dataDir), { synchronous: 'FULL' });
    const eventStore = new SqliteEventStore(liveDb);
    try {
      const events = await readWholeLog(eventStore);
      const received = new Map<string, number>();
      const commented = new Map<string, number>();
      for (const e of events) {
        if (e.type === 'MessageReceived') received.set(String(e.data.externalMessageId), (received.get(String(e.data.externalMessageId)) ?? 0) + 1);
        if (e.type === 'CommentAdded') commented.set(String(e.data.commentId), (commented.get(String(e.data.commentId)) ?? 0) + 1);
      }
      expect([...received].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...commented].filter(([, n]) => n !== 1)).toEqual([]);
      expect(received.size).toBe(ledger.apiSent.size + ledger.emailsSent.size);
      expect([...ledger.emailsSent.keys()].filter((id) => !received.has(id))).toEqual([]);
      expect([...ledger.apiSent.keys()].filter((ext) => !received.has(ext))).toEqual([]);
      expect(liveDb.prepare('SELECT COUNT(*) FROM rm_messages').pluck().get()).toBe(received.size);
      Object.assign(stats, { eventsInLog: events.length, messagesInLog: received.size, commentsInLog: commented.size });

      stats.comparedTables = (await expectReadModelsEqualRebuilds(liveDb, eventStore, rebuildDir)).length;
    } finally {
      await eventStore.close();
      liveDb.close();
    }

    const check = await runCli(builtCliEntry(), ['--data-dir', dataDir, 'replay', '--check'], {}, 60_000);
    expect({ code: check.code, stderr: check.stderr }).toEqual({ code: 0, stderr: '' });
    expect(check.stdout).toContain('the live read models equal the rebuilt ones');
  }, 90_000);

  it('`parley audit verify` finds every hash chain intact', async () => {
    expect(cleanStop).toBe(true);
    const result = await runCli(builtCliEntry(), ['--data-dir', dataDir, 'audit', 'verify', '--all'], {}, 60_000);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const verified = /^verified (\d+) streams, (\d+) events in .*: every chain is intact\n$/.exec(result.stdout);
    expect(verified).not.toBeNull();
    // Every conversation is a stream of its own (plus agents and the inbox).
    const conversations = new Set([...ledger.apiAcks.map((a) => a.conversationId)]).size + new Set([...ledger.emailsSent.values()].map((e) => e.root)).size;
    expect(Number(verified![1])).toBeGreaterThan(conversations);
    Object.assign(stats, { auditedStreams: Number(verified![1]), auditedEvents: Number(verified![2]), seconds: Math.round((Date.now() - startedAt) / 1000) });
  }, 60_000);
});
