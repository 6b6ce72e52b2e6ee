import { createTransport, type Transporter } from 'nodemailer';
import type { Clock } from '../../application/ports/clock.port';
import {
  DEMO_AGENTS,
  DEMO_CONVERSATIONS,
  DEMO_CUSTOM_VIEWS,
  DEMO_INBOXES,
  type AgentKey,
  type Ago,
  type DemoConversation,
  type DemoStep,
  type InboxKey,
  type Person,
} from './demo-content';

/** A step of the demo failed: the message says which request and what Parley answered. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

/**
 * The clock of the demo's own Parley: each step runs at the moment the content gives it (days
 * before now), so received times, comments and closes spread over the last weeks as they would
 * have happened. `release()` returns it to real time.
 */
export class DemoClock implements Clock {
  private current: Date | null = null;

  now(): Date {
    return this.current ? new Date(this.current) : new Date();
  }

  set(at: Date): void {
    this.current = at;
  }

  release(): void {
    this.current = null;
  }
}

export interface Login {
  email: string;
  password: string;
}

export interface ScenarioTarget {
  /** http://127.0.0.1:<port> of the demo's Parley. */
  baseUrl: string;
  smtpPort: number;
  clock: DemoClock;
  admin: Login;
  agentPassword: string;
  /** Real time when the demo started: every `Ago` counts back from it. */
  startedAt: Date;
  /**
   * Waits until no job is running, before the clock moves on: a job started at one step's time
   * would otherwise see its lease expire at the next step's (hours later) and run twice.
   */
  beforeClockMoves?: () => Promise<void>;
}

export interface ViewCount {
  id: string;
  name: string;
  count: number;
}

export interface ScenarioResult {
  /** Changes made now (agents, inboxes, messages, commands). */
  added: number;
  /** Changes that were already there (a second run). */
  present: number;
  inboxes: Array<{ name: string; emailAddress: string | null; views: ViewCount[] }>;
}

interface Conversation {
  id: string;
  inboxId: string;
  status: 'open' | 'closed';
  origin: 'inbound' | 'outbound';
  assignee: { type: 'agent'; id: string } | { type: 'bot' } | null;
  contact: { address: string } | null;
  subject: string;
  spam: boolean;
  filtered: boolean;
  trashed: boolean;
  ticket: { id: string } | null;
  messages: Array<{ id: string; direction: 'in' | 'out'; text: string; delivery: { status: string; reason?: string } | null }>;
  comments: Array<{ text: string }>;
}

interface Inbox {
  id: string;
  name: string;
  emailAddress: string | null;
  isDefault: boolean;
  memberIds: string[];
}

const WAIT_MS = 30_000;

/**
 * Fills a running Parley with the demo content through its public interfaces only: the HTTP API
 * with agents' logins, and SMTP for email. Every step first looks whether its effect is already
 * there (agents and inboxes by email and name, messages by their fixed ids, commands by the
 * conversation's state), so running it again adds nothing.
 */
export class DemoScenario {
  private readonly tokens = new Map<AgentKey, string>();
  private readonly agentIds = new Map<AgentKey, string>();
  private readonly inboxes = new Map<InboxKey, Inbox>();
  private readonly conversationIds = new Map<string, string>();
  private readonly mail: Transporter;
  private added = 0;
  private present = 0;

  constructor(private readonly target: ScenarioTarget) {
    this.mail = createTransport({ host: '127.0.0.1', port: target.smtpPort, secure: false, ignoreTLS: true });
  }

  async run(): Promise<ScenarioResult> {
    try {
      await this.setUpTeam();
      for (const { conversation, step } of timeline(DEMO_CONVERSATIONS)) {
        await this.target.beforeClockMoves?.();
        this.target.clock.set(this.timeOf(step.at));
        await this.perform(conversation, step);
      }
      await this.target.beforeClockMoves?.();
      this.target.clock.release();
      return { added: this.added, present: this.present, inboxes: await this.viewCounts() };
    } finally {
      this.target.clock.release();
      this.mail.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Agents, inboxes, custom views

  private async setUpTeam(): Promise<void> {
    const adminToken = await this.login('admin', this.target.admin);
    const me = await this.api<{ id: string }>('GET', '/api/me', { token: adminToken });
    this.agentIds.set('admin', me.id);

    const { agents } = await this.api<{ agents: Array<{ id: string; email: string }> }>('GET', '/api/agents', { as: 'admin' });
    for (const agent of DEMO_AGENTS) {
      let id = agents.find((a) => a.email.toLowerCase() === agent.email)?.id;
      if (id) this.present += 1;
      else {
        const password = this.target.agentPassword;
        ({ id } = await this.api<{ id: string }>('POST', '/api/agents', {
          as: 'admin',
          body: { name: agent.name, email: agent.email, password, role: agent.role },
        }));
        this.added += 1;
      }
      this.agentIds.set(agent.key, id);
    }

    const { inboxes } = await this.api<{ inboxes: Inbox[] }>('GET', '/api/inboxes', { as: 'admin' });
    for (const wanted of DEMO_INBOXES) {
      const memberIds = wanted.members.map((key) => this.agentId(key)).sort();
      let inbox = wanted.emailAddress === null ? inboxes.find((i) => i.isDefault) : inboxes.find((i) => i.name === wanted.name);
      if (!inbox) {
        const created = await this.api<{ id: string }>('POST', '/api/inboxes', {
          as: 'admin',
          body: { name: wanted.name, emailAddress: wanted.emailAddress, agentIds: memberIds },
        });
        inbox = { id: created.id, name: wanted.name, emailAddress: wanted.emailAddress, isDefault: false, memberIds };
        this.added += 1;
      } else {
        const before = this.added;
        if (inbox.name !== wanted.name) {
          await this.api('PATCH', `/api/inboxes/${inbox.id}`, { as: 'admin', body: { name: wanted.name } });
          inbox = { ...inbox, name: wanted.name };
          this.added += 1;
        }
        if ([...inbox.memberIds].sort().join() !== memberIds.join()) {
          await this.api('PUT', `/api/inboxes/${inbox.id}/members`, { as: 'admin', body: { agentIds: memberIds } });
          inbox = { ...inbox, memberIds };
          this.added += 1;
        }
        if (this.added === before) this.present += 1;
      }
      this.inboxes.set(wanted.key, inbox);
    }

    for (const view of DEMO_CUSTOM_VIEWS) {
      const inboxId = this.inbox(view.inbox).id;
      const { views } = await this.api<{ views: Array<{ name: string; custom: boolean }> }>('GET', `/api/views?inboxId=${inboxId}`, { as: 'admin' });
      if (views.some((v) => v.custom && v.name === view.name)) this.present += 1;
      else {
        await this.api('POST', '/api/views', { as: 'admin', body: { name: view.name, filters: view.filters, inboxId } });
        this.added += 1;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Conversations

  private async perform(conversation: DemoConversation, step: DemoStep): Promise<void> {
    switch (step.type) {
      case 'email':
        return this.receiveEmail(conversation, step);
      case 'api':
        return this.receiveApiMessage(conversation, step);
      case 'compose':
        return this.compose(conversation, step);
      default:
        return this.command(conversation, step);
    }
  }

  private async receiveEmail(conversation: DemoConversation, step: Extract<DemoStep, { type: 'email' }>): Promise<void> {
    const hasIt = (c: Conversation | null) => c !== null && c.messages.some((m) => m.direction === 'in' && sameText(m.text, step.text));
    if (hasIt(await this.findEmailConversation(conversation))) {
      this.present += 1;
      return;
    }
    const inbox = this.inbox(conversation.inbox);
    const earlier = emailSteps(conversation).slice(0, emailSteps(conversation).indexOf(step));
    const references = earlier.map((e) => messageIdOf(e.id, e.from));
    await this.mail.sendMail({
      from: { name: step.from.name, address: step.from.address },
      to: { name: `${inbox.name} – De Spaak`, address: this.emailAddressOf(inbox) },
      subject: step.subject,
      text: step.text,
      ...(step.html ? { html: step.html } : {}),
      messageId: messageIdOf(step.id, step.from),
      date: this.target.clock.now(),
      ...(references.length > 0 ? { inReplyTo: references[references.length - 1], references } : {}),
      ...(step.attachment
        ? { attachments: [{ filename: step.attachment.filename, contentType: step.attachment.contentType, content: step.attachment.content() }] }
        : {}),
    });
    await until(`the email "${step.subject}" in ${inbox.name}`, async () => hasIt(await this.findEmailConversation(conversation)));
    this.added += 1;
  }

  private async receiveApiMessage(conversation: DemoConversation, step: Extract<DemoStep, { type: 'api' }>): Promise<void> {
    const body = {
      externalThreadId: `demo-${conversation.key}`,
      externalMessageId: `demo-${step.id}`,
      from: step.from,
      ...(step.subject ? { subject: step.subject } : {}),
      text: step.text,
      receivedAt: this.target.clock.now().toISOString(),
      inboxId: this.inbox(conversation.inbox).id,
    };
    // The channel itself recognises a message it stored before (200, duplicate: true).
    const result = await this.api<{ conversationId: string; duplicate: boolean }>('POST', '/api/channels/api/messages', { as: 'admin', body });
    this.conversationIds.set(conversation.key, result.conversationId);
    if (result.duplicate) this.present += 1;
    else this.added += 1;
  }

  private async compose(conversation: DemoConversation, step: Extract<DemoStep, { type: 'compose' }>): Promise<void> {
    const inbox = this.inbox(conversation.inbox);
    const found = await this.search(
      inbox.id,
      step.subject,
      (c) => c.origin === 'outbound' && c.contact?.address === step.to.address && c.subject === step.subject,
    );
    if (found) {
      this.conversationIds.set(conversation.key, found.id);
      this.present += 1;
      return;
    }
    const { conversationId } = await this.api<{ conversationId: string }>('POST', '/api/emails', {
      as: step.by,
      body: { to: step.to.address, subject: step.subject, text: step.text, inboxId: inbox.id },
    });
    this.conversationIds.set(conversation.key, conversationId);
    await this.delivered(conversationId, (m) => m.direction === 'out' && sameText(m.text, step.text));
    this.added += 1;
  }

  private async command(conversation: DemoConversation, step: Exclude<DemoStep, { type: 'email' | 'api' | 'compose' }>): Promise<void> {
    const id = this.conversationIds.get(conversation.key);
    if (!id) throw new DemoError(`demo content: "${conversation.key}" has a ${step.type} step before any message`);
    const current = await this.conversation(id);
    const path = `/api/conversations/${id}`;
    const call = async (route: string, body: unknown) => {
      await this.api('POST', `${path}/${route}`, { as: step.by, body });
      this.added += 1;
    };
    switch (step.type) {
      case 'assign': {
        const wanted = step.to === 'bot' ? { type: 'bot' } : { type: 'agent', id: this.agentId(step.to) };
        if (sameAssignee(current.assignee, wanted)) break;
        return call('assign', { assignee: step.to === 'bot' ? 'bot' : this.agentId(step.to) });
      }
      case 'comment':
        if (current.comments.some((c) => sameText(c.text, step.text))) break;
        return call('comments', { text: step.text });
      case 'reply': {
        const isIt = (m: Conversation['messages'][number]) => m.direction === 'out' && sameText(m.text, step.text);
        if (current.messages.some(isIt)) break;
        await call('replies', { text: step.text });
        // Sent before the clock moves on: a reply still queued days later would count as too late to send.
        return this.delivered(id, isIt);
      }
      case 'ticket':
        if (current.ticket) break;
        return call('ticket', { name: step.name });
      case 'close':
        if (current.status === 'closed') break;
        return call('close', { closeTicket: step.closeTicket ?? false });
      case 'spam':
        if (current.spam) break;
        return call('spam', {});
      case 'block': {
        const address = current.contact?.address ?? '';
        if (!current.filtered) await call('block-sender', {});
        else this.present += 1;
        // The block list is kept by a process manager: later mail from the sender must find it there.
        await until(`${address} on the blocked list`, async () => {
          const { senders } = await this.api<{ senders: Array<{ address: string }> }>('GET', `/api/senders/blocked?inboxId=${current.inboxId}`, {
            as: 'admin',
          });
          return senders.some((s) => s.address === address);
        });
        return;
      }
      case 'trash':
        if (current.trashed) break;
        return call('trash', {});
    }
    this.present += 1;
  }

  /** The conversation the email steps of `conversation` belong to, found by its first subject and sender. */
  private async findEmailConversation(conversation: DemoConversation): Promise<Conversation | null> {
    const known = this.conversationIds.get(conversation.key);
    if (known) return this.conversation(known);
    const first = emailSteps(conversation)[0];
    const inbox = this.inbox(conversation.inbox);
    const found = await this.search(
      inbox.id,
      first.subject,
      (c) => c.origin === 'inbound' && c.contact?.address === first.from.address && c.subject === first.subject,
    );
    if (!found) return null;
    this.conversationIds.set(conversation.key, found.id);
    return this.conversation(found.id);
  }

  private async search(inboxId: string, subject: string, matches: (c: Conversation) => boolean): Promise<Conversation | null> {
    const query = new URLSearchParams({ inboxId, q: subject.replace(/[^\p{L}\p{N}]+/gu, ' ').trim(), hideTrash: 'false', limit: '200' });
    const { items } = await this.api<{ items: Conversation[] }>('GET', `/api/conversations?${query}`, { as: 'admin' });
    return items.find(matches) ?? null;
  }

  private conversation(id: string): Promise<Conversation> {
    return this.api<Conversation>('GET', `/api/conversations/${id}`, { as: 'admin' });
  }

  /** Waits until the outbound message has reached the relay; a delivery that failed stops the demo. */
  private async delivered(conversationId: string, isIt: (m: Conversation['messages'][number]) => boolean): Promise<void> {
    await until('the reply to be sent', async () => {
      const message = (await this.conversation(conversationId)).messages.find(isIt);
      if (message?.delivery?.status === 'failed') throw new DemoError(`a demo reply could not be sent: ${message.delivery.reason ?? 'no reason given'}`);
      return message?.delivery?.status === 'delivered';
    });
  }

  private async viewCounts(): Promise<ScenarioResult['inboxes']> {
    const result: ScenarioResult['inboxes'] = [];
    for (const { key } of DEMO_INBOXES) {
      const inbox = this.inbox(key);
      const { views } = await this.api<{ views: ViewCount[] }>('GET', `/api/views?inboxId=${inbox.id}`, { as: 'admin' });
      result.push({ name: inbox.name, emailAddress: this.emailAddressOf(inbox), views: views.map(({ id, name, count }) => ({ id, name, count })) });
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  private async login(key: AgentKey, login: Login): Promise<string> {
    const { token } = await this.api<{ token: string }>('POST', '/api/auth/login', { body: login }).catch((error: unknown) => {
      if (error instanceof DemoError && / 401:/.test(error.message)) {
        throw new DemoError(
          `could not log in as ${login.email}: the data folder's agent has another password than the demo knows ` +
            `(changed since the first run?); set PARLEY_ADMIN_EMAIL and PARLEY_ADMIN_PASSWORD to an admin's login`,
        );
      }
      throw error;
    });
    this.tokens.set(key, token);
    return token;
  }

  private async tokenOf(key: AgentKey): Promise<string> {
    const token = this.tokens.get(key);
    if (token) return token;
    const agent = DEMO_AGENTS.find((a) => a.key === key)!;
    return this.login(key, { email: agent.email, password: this.target.agentPassword });
  }

  private async api<T = unknown>(method: string, path: string, options: { as?: AgentKey; token?: string; body?: unknown } = {}): Promise<T> {
    const token = options.token ?? (options.as ? await this.tokenOf(options.as) : undefined);
    const response = await fetch(`${this.target.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) {
      let message: unknown = text;
      try {
        message = (JSON.parse(text) as { message?: unknown }).message ?? text;
      } catch {
        // not JSON: the text as it came
      }
      throw new DemoError(`${method} ${path.split('?')[0]} answered ${response.status}: ${Array.isArray(message) ? message.join('; ') : String(message)}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // ---------------------------------------------------------------------------------------------

  private agentId(key: AgentKey): string {
    const id = this.agentIds.get(key);
    if (!id) throw new DemoError(`demo content: no agent "${key}"`);
    return id;
  }

  private inbox(key: InboxKey): Inbox {
    const inbox = this.inboxes.get(key);
    if (!inbox) throw new DemoError(`demo content: no inbox "${key}"`);
    return inbox;
  }

  /** Mail to the default inbox goes to its address (PARLEY_INBOX_EMAIL), which the email channel routes there. */
  private emailAddressOf(inbox: Inbox): string {
    if (!inbox.emailAddress) throw new DemoError(`the inbox "${inbox.name}" has no email address to send the demo's mail to`);
    return inbox.emailAddress;
  }

  private timeOf(ago: Ago): Date {
    const ms = ((ago.days * 24 + (ago.hours ?? 0)) * 60 + (ago.minutes ?? 0)) * 60_000;
    return new Date(this.target.startedAt.getTime() - ms);
  }
}

/** Every step of every conversation, oldest first; steps at the same moment keep their order. */
export function timeline(conversations: readonly DemoConversation[]): Array<{ conversation: DemoConversation; step: DemoStep }> {
  const agoMs = ({ days, hours = 0, minutes = 0 }: Ago) => ((days * 24 + hours) * 60 + minutes) * 60_000;
  return conversations
    .flatMap((conversation) => conversation.steps.map((step) => ({ conversation, step })))
    .sort((a, b) => agoMs(b.step.at) - agoMs(a.step.at));
}

function emailSteps(conversation: DemoConversation): Array<Extract<DemoStep, { type: 'email' }>> {
  return conversation.steps.filter((s): s is Extract<DemoStep, { type: 'email' }> => s.type === 'email');
}

/** Fixed per message: the email channel stores a Message-ID once, so sending it again adds nothing. */
function messageIdOf(id: string, from: Person): string {
  return `<demo-${id}@${from.address.split('@')[1]}>`;
}

function sameText(a: string, b: string): boolean {
  const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();
  return normalise(a) === normalise(b);
}

function sameAssignee(current: Conversation['assignee'], wanted: { type: string; id?: string }): boolean {
  if (current === null) return false;
  return current.type === wanted.type && (current.type === 'bot' || current.id === wanted.id);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new DemoError(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
