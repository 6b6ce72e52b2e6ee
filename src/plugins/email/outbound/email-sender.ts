import type { SendMailOptions, Transporter } from 'nodemailer';
import type { DeliveryResult, OutboundMessage, Party, PluginLogger } from '../../channel-plugin';
import { delivered, permanentFailure, retryableFailure } from '../../channel-plugin';
import { sanitiseEmailHtml } from '../inbound/sanitise-html';
import { parleyMessageId, parseMessageIds } from '../inbound/message-id';
import { normaliseSubject } from '../threading/subject';
import type { ThreadIndex, ThreadRecord } from '../threading/thread-index';
import type { ContinuedConversations } from './continued-conversations';
import { emailWords, quoteDate, textToHtml, type EmailTemplates, type TemplateInput } from './email-templates';

export interface EmailSenderOptions {
  /** `smtp://user:pass@host:587` or `smtps://…:465`; null: no relay configured. */
  relayUrl: string | null;
  /** Sender when the outbound message names none (the default inbox's address). */
  defaultFrom: Party | null;
  templates: EmailTemplates;
  index: ThreadIndex;
  logger: PluginLogger;
  clock: () => Date;
  timeouts?: { connectionMs: number; greetingMs: number; socketMs: number };
  /** Where replies for other channels' conversations (a chat answered by email) are remembered, so the answer continues them. */
  continued?: ContinuedConversations | null;
}

/** References keep the thread's first Message-ID and the latest ones (long threads would grow the header without bound). */
const MAX_REFERENCES = 20;
const QUOTED_LINES = 200;
const DEFAULT_TIMEOUTS = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 60_000 };

/**
 * Sends Parley's outbound email through the relay (SMTP_RELAY_URL) with nodemailer. The
 * Message-ID is derived from Parley's message id, so a send repeated after a crash carries the
 * same id; In-Reply-To and References come from the thread, so the customer's client threads it.
 * Failures are classified for the delivery job: the relay unreachable, timing out or answering
 * 4xx is worth retrying; a 5xx answer (unknown recipient, refused message, bad credentials) is not.
 */
export class EmailSender {
  private readonly transport: Transporter | null;
  /** The relay password as it may show up in a relay's answer: kept out of logs and of what agents see. */
  private readonly secrets: string[];

  constructor(private readonly options: EmailSenderOptions) {
    this.secrets = relaySecrets(options.relayUrl);
    const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
    // nodemailer is required only with a relay to send through: without one nothing is sent.
    this.transport = options.relayUrl
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('nodemailer') as typeof import('nodemailer')).createTransport({
          url: options.relayUrl,
          connectionTimeout: timeouts.connectionMs,
          greetingTimeout: timeouts.greetingMs,
          socketTimeout: timeouts.socketMs,
        })
      : null;
  }

  async send(outbound: OutboundMessage): Promise<DeliveryResult> {
    const built = await this.build(outbound);
    if ('failure' in built) return built.failure;
    if (!this.transport) {
      return retryableFailure('no outbound relay is configured: set SMTP_RELAY_URL (e.g. smtp://user:pass@mail.example.com:587) and restart');
    }
    // Known before it is sent: an answer that arrives at once still finds its thread.
    await this.recordInIndex(outbound, built.messageId);
    // Rule 12: a chat answered by email; the visitor's answer must come back to the chat.
    if (outbound.kind === 'reply' && outbound.conversationChannel !== undefined && outbound.conversationChannel !== 'email') {
      await this.options.continued?.remember(outbound.thread.externalThreadId, outbound.conversationId, outbound.conversationChannel);
    }
    try {
      await this.transport.sendMail(built.mail);
      this.options.logger.info(
        { conversationId: outbound.conversationId, messageId: outbound.messageId, emailMessageId: built.messageId },
        'email sent to the relay',
      );
      return delivered(built.messageId);
    } catch (error) {
      const result = classifySendError(error);
      if (result.status === 'failed') result.reason = this.withoutSecrets(result.reason);
      this.options.logger.warn(
        { conversationId: outbound.conversationId, messageId: outbound.messageId, err: this.describeError(error), result },
        'email not sent',
      );
      return result;
    }
  }

  close(): void {
    this.transport?.close();
  }

  private withoutSecrets(text: string): string {
    return this.secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join('***'), text);
  }

  /** The error's useful fields, its texts without the relay password (a relay may quote the credentials back). */
  private describeError(error: unknown): object {
    const e = (error ?? {}) as { name?: unknown; code?: unknown; responseCode?: unknown; command?: unknown; response?: unknown; message?: unknown };
    const text = (value: unknown) => (typeof value === 'string' ? this.withoutSecrets(value) : undefined);
    return {
      type: text(e.name),
      code: text(e.code),
      responseCode: e.responseCode,
      command: text(e.command),
      response: text(e.response),
      message: text(e.message) ?? this.withoutSecrets(String(error)),
    };
  }

  /** The nodemailer message for an outbound message, or why it cannot be sent at all. */
  async build(outbound: OutboundMessage): Promise<{ mail: SendMailOptions; messageId: string } | { failure: DeliveryResult }> {
    const from = outbound.from?.address ? outbound.from : this.options.defaultFrom;
    if (!from)
      return { failure: permanentFailure('the inbox has no email address to send from: give it one (PATCH /api/inboxes/:id) or set PARLEY_INBOX_EMAIL') };
    const to = outbound.to.filter((party) => /^[^\s@]+@[^\s@]+$/.test(party.address.trim()));
    if (to.length === 0) {
      return { failure: permanentFailure(`no email address to send to (got ${outbound.to.map((p) => JSON.stringify(p.address)).join(', ') || 'none'})`) };
    }
    // Reply-all's copies: well-formed addresses only, none that is already a To recipient.
    const toAddresses = new Set(to.map((p) => p.address.trim().toLowerCase()));
    const cc = (outbound.cc ?? []).filter((p) => /^[^\s@]+@[^\s@]+$/.test(p.address.trim()) && !toAddresses.has(p.address.trim().toLowerCase()));
    const messageId = parleyMessageId(outbound.messageId, from.address);
    const threaded = outbound.kind === 'reply';
    const thread = threaded ? await this.options.index.thread(outbound.thread.externalThreadId) : null;
    const references = threaded ? referencesOf(outbound, thread, messageId) : [];

    const body = outbound.text;
    const input: TemplateInput = {
      kind: outbound.kind,
      body,
      bodyHtml: outbound.html ? sanitiseEmailHtml(outbound.html) : textToHtml(body),
      signature: from.name ? { name: from.name, address: from.address } : { name: from.address },
      ...(threaded ? quotedOf(thread, outbound.language) : {}),
    };
    const { text, html } = this.options.templates.render(input);

    const mail: SendMailOptions = {
      from: party(from),
      to: to.map(party),
      ...(cc.length > 0 ? { cc: cc.map(party) } : {}),
      subject: outbound.subject,
      text,
      html,
      messageId,
      date: this.options.clock(),
      headers: {
        'X-Parley-Conversation-Id': outbound.conversationId,
        ...(outbound.kind === 'transcript' || outbound.kind === 'notification' ? { 'Auto-Submitted': 'auto-generated' } : {}),
      },
      ...(references.length > 0 ? { inReplyTo: references[references.length - 1], references } : {}),
      // The agent's files, as MIME attachments under the names and types they were uploaded with.
      ...(outbound.attachments?.length
        ? { attachments: outbound.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) }
        : {}),
    };
    return { mail, messageId };
  }

  private async recordInIndex(outbound: OutboundMessage, messageId: string): Promise<void> {
    await this.options.index.record({
      messageId,
      root: outbound.thread.externalThreadId,
      direction: 'out',
      at: this.options.clock().toISOString(),
      counterpart: outbound.to[0]?.address ?? '',
      subject: normaliseSubject(outbound.subject).subject,
      forward: outbound.kind === 'forward',
    });
  }
}

/**
 * Every Message-ID the thread had so far, oldest first: the host's list (inbound messages and
 * delivered replies) and what the channel's own index saw. Left out: ids that are not Message-IDs
 * (a chat answered by email), and what belongs to someone else's exchange with the inbox — a
 * forward to a third party and that party's answers — so the recipient's headers name only
 * their own conversation. The first and the latest MAX_REFERENCES - 1.
 */
function referencesOf(outbound: OutboundMessage, thread: ThreadRecord | null, own: string): string[] {
  const recipients = new Set([...outbound.to, ...(outbound.cc ?? [])].map((p) => p.address.trim().toLowerCase()));
  const others = new Set(
    (thread?.messages ?? [])
      .filter((m) => m.forward || (m.direction === 'in' && m.from && !recipients.has(m.from.address.trim().toLowerCase())))
      .map((m) => m.id),
  );
  const ids: string[] = [];
  const add = (value: string) => {
    for (const id of parseMessageIds(value)) if (id !== own && !others.has(id) && !ids.includes(id)) ids.push(id);
  };
  for (const id of outbound.thread.externalMessageIds) add(id);
  if (ids.length === 0) add(outbound.thread.externalThreadId);
  for (const message of thread?.messages ?? []) add(message.id);
  return ids.length > MAX_REFERENCES ? [ids[0], ...ids.slice(-(MAX_REFERENCES - 1))] : ids;
}

/** The latest inbound message's text under an "On …, … wrote:" line in the reply's language. */
function quotedOf(thread: ThreadRecord | null, language: string | undefined): Pick<TemplateInput, 'quoted'> {
  const last = [...(thread?.messages ?? [])].reverse().find((m) => m.direction === 'in' && m.excerpt);
  if (!last?.excerpt) return {};
  const words = emailWords(language);
  const from = last.from ? (last.from.name ? `${last.from.name} <${last.from.address}>` : last.from.address) : words.unknownSender;
  const lines = last.excerpt.replace(/\r\n/g, '\n').replace(/\s+$/, '').split('\n').slice(0, QUOTED_LINES);
  const date = quoteDate(new Date(last.at), language);
  return { quoted: { date, from, lines, intro: words.quoteIntro(date, from) } };
}

/** The password of `smtp://user:password@host`, as written and decoded; the URL parser finds it even when the user name holds an @. */
function relaySecrets(relayUrl: string | null): string[] {
  if (!relayUrl) return [];
  let password: string;
  try {
    password = new URL(relayUrl).password;
  } catch {
    return [];
  }
  if (password === '') return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // not valid percent-encoding: nodemailer uses it as written
  }
  return [...new Set([decoded, password])];
}

function party(p: Party): { name: string; address: string } | string {
  return p.name ? { name: p.name, address: p.address.trim() } : p.address.trim();
}

/** Connection-level failures: the relay may well be there on the next try. */
const RETRYABLE_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPROXY',
  'ETLS',
  'EMAXLIMIT',
]);
/** Errors that no retry fixes: the configuration or the message is wrong. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'EENVELOPE', 'EREQUIRETLS', 'EFILEACCESS', 'EURLACCESS', 'EMAXRECIPIENTS']);

/**
 * SMTP's own rule decides where the relay answered: 4xx is transient, 5xx permanent (RFC 5321
 * 4.2.1; 503 "bad sequence" is about the session, so retryable). Without an answer, connection
 * trouble is retryable and configuration trouble is not; anything unknown is retried.
 */
export function classifySendError(error: unknown): DeliveryResult {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const detail = typeof e.response === 'string' && e.response ? e.response : typeof e.message === 'string' ? e.message : String(error);
  if (responseCode !== undefined && responseCode >= 500 && responseCode !== 503) {
    return permanentFailure(`the relay refused the message (${responseCode}): ${detail}`);
  }
  if (responseCode !== undefined && responseCode >= 400) return retryableFailure(`the relay answered ${responseCode}, try again later: ${detail}`);
  if (code && PERMANENT_CODES.has(code)) return permanentFailure(`${code}: ${detail}`);
  if (code && RETRYABLE_CODES.has(code)) return retryableFailure(`the relay could not be reached (${code}): ${detail}`);
  return retryableFailure(`sending failed: ${detail}`);
}
