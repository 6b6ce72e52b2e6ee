import { randomBytes } from 'node:crypto';
import {
  delivered,
  permanentFailure,
  retryableFailure,
  type ChannelHostConnection,
  type ChannelPlugin,
  type ChannelRequest,
  type ChannelResponse,
  type DeliveryResult,
  type InboundFile,
  type InboundMessage,
  type MessageField,
  type OutboundMessage,
  type PluginChannelConnection,
  type PluginConversation,
  type PluginCounter,
  type ReplyWindow,
} from '../channel-plugin';
import { callGraph, type GraphTarget } from '../meta/graph';
import { refusalStatus, withoutRefusedParts } from '../meta/keep-refused';
import { handshakeRoute, RefusedRequestLimit, signingSecret, withRefusalLimit } from '../meta/webhook';
import { localized, MESSENGER_STRINGS } from './i18n';
import { MESSENGER_SECRETS, MESSENGER_SETTING_FIELDS, messengerSettings, validateMessengerSettings, type MessengerSettings } from './settings';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 3C7 3 3 6.7 3 11.3c0 2.6 1.3 4.9 3.3 6.4V21l3-1.7c.9.3 1.8.4 2.7.4 ' +
  '5 0 9-3.7 9-8.4S17 3 12 3z"/><path d="M7.5 13.5l3-3.2 2.2 2.2 3.8-3.5-3 3.2-2.2-2.2z"/></svg>';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Meta's Send API: a text message holds at most 2,000 characters. */
export const MESSENGER_TEXT_LIMIT = 2000;
/** Meta: at most 13 quick replies, titles of at most 20 characters. */
export const MAX_QUICK_REPLIES = 13;
export const MAX_QUICK_REPLY_TITLE = 20;
/** Meta's attachment limit (25 MB), for files in and out. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
/** Our own quick replies and postbacks carry this before the choice id, so the contact's pick is recognised as ours. */
const CHOICE_PREFIX = 'parley:choice:';
const EMAIL = /^[^\s@<>"]{1,200}@[^\s@<>"]{1,200}\.[^\s@<>"]{1,60}$/;
const MEDIA_JOB = 'media';
const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'file']);
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const PROFILE_REFRESH_MS = DAY;
const PROFILE_RETRY_MS = HOUR;
/** How long one webhook delivery may spend asking the profile API for names (Meta wants its 200 within seconds). */
const PROFILE_LOOKUP_BUDGET_MS = 8_000;

export interface MessengerPluginOptions {
  /** Milliseconds since the epoch; Parley's clock (tests move it). */
  now?: () => number;
  /** Tries of a media download before the message is stored without the file (default 5). */
  mediaAttempts?: number;
  /** First wait between media download tries (default 5 s, doubling). */
  mediaBackoffMs?: number;
}

/** One event of a webhook entry's `messaging` list, as Meta documents it (only what we read). */
interface MessagingEvent {
  sender?: { id?: unknown };
  recipient?: { id?: unknown };
  timestamp?: unknown;
  message?: {
    mid?: unknown;
    text?: unknown;
    is_echo?: unknown;
    quick_reply?: { payload?: unknown };
    attachments?: { type?: unknown; payload?: { url?: unknown; title?: unknown; coordinates?: { lat?: unknown; long?: unknown } } }[];
  };
  postback?: { mid?: unknown; title?: unknown; payload?: unknown };
  reaction?: { mid?: unknown; action?: unknown; emoji?: unknown; reaction?: unknown };
  delivery?: { mids?: unknown; watermark?: unknown };
  read?: { watermark?: unknown };
}

/** What is kept per reply: the mids Meta answered, part by part, and the receipt reported so far. */
interface ReplyRecord {
  conversationId: string;
  /** Meta's message id of each part sent so far (text chunks, then files), by part index. */
  mids: (string | null)[];
  /** Every part went out. */
  done: boolean;
  /** When the last part went out (receipts by watermark compare with it). */
  sentAt?: string;
  receipt?: 'delivered' | 'read';
}

interface MediaRef {
  type: string;
  url: string;
}

/** A failure of the batch that Meta should redeliver (answered 500). */
class Redeliver extends Error {}

/**
 * Facebook Messenger (issue 15): a page connected to an inbox. Meta posts the page's messages,
 * postbacks, reactions and receipts to `POST /channels/messenger/webhook` (signed with the app
 * secret); agents' replies go out through the Graph Send API within Meta's 24-hour window (7 days
 * with the human agent tag). Built on the public plugin interface only; docs/messenger.md is the guide.
 */
export function createMessengerPlugin(options: MessengerPluginOptions = {}): ChannelPlugin {
  const now = options.now ?? Date.now;
  // Forged or unsigned webhook requests per address (Meta's signed deliveries never count).
  const refusedRequests = new RefusedRequestLimit(now);
  const mediaAttempts = options.mediaAttempts ?? 5;
  const mediaBackoffMs = options.mediaBackoffMs ?? 5_000;
  let host: ChannelHostConnection | undefined;
  let metrics: { events: PluginCounter; signatureFailures: PluginCounter; sends: PluginCounter } | undefined;

  const connected = (): ChannelHostConnection => {
    if (!host) throw new Error('the messenger plugin is not connected');
    return host;
  };

  // ---- connections ---------------------------------------------------------------------------

  async function connectionsWithSettings(): Promise<{ connection: PluginChannelConnection; settings: MessengerSettings }[]> {
    return (await connected().connections.list()).map((connection) => ({ connection, settings: messengerSettings(connection) }));
  }

  async function connectionOfPage(pageId: string): Promise<{ connection: PluginChannelConnection; settings: MessengerSettings } | null> {
    return (await connectionsWithSettings()).find((c) => c.settings.pageId === pageId) ?? null;
  }

  const target = (settings: MessengerSettings): GraphTarget => ({
    baseUrl: settings.graphApiBaseUrl,
    apiVersion: settings.apiVersion,
    accessToken: settings.pageAccessToken,
  });

  // ---- the 24-hour window ----------------------------------------------------------------------

  type Window = { open: true; closesAt: string; tagged: boolean } | { open: false; closedAt: string; tagged: boolean };

  function windowAt(lastContactMessageAt: string, humanAgentTag: boolean, at: number): Window {
    const last = Date.parse(lastContactMessageAt);
    const standard = last + DAY;
    const extended = last + 7 * DAY;
    if (Number.isNaN(last)) return { open: false, closedAt: new Date(at).toISOString(), tagged: humanAgentTag };
    if (at < standard) return { open: true, closesAt: new Date(humanAgentTag ? extended : standard).toISOString(), tagged: false };
    if (humanAgentTag && at < extended) return { open: true, closesAt: new Date(extended).toISOString(), tagged: true };
    return { open: false, closedAt: new Date(humanAgentTag ? extended : standard).toISOString(), tagged: humanAgentTag };
  }

  // ---- storage -------------------------------------------------------------------------------

  const replyKey = (conversationId: string, messageId: string) => `c:${conversationId}:reply:${messageId}`;
  const midKey = (mid: string) => `mid:${mid}`;
  const threadKey = (thread: string) => `thread:${thread}`;
  const profileKey = (thread: string) => `profile:${thread}`;

  async function rememberThread(thread: string, conversationId: string): Promise<void> {
    const storage = connected().storage;
    const known = await storage.get<{ conversationId: string }>(threadKey(thread));
    if (known?.conversationId === conversationId) return;
    await storage.set(threadKey(thread), { conversationId });
    await storage.set(`c:${conversationId}:thread`, { thread });
  }

  // ---- the contact's name (profile API) ------------------------------------------------------

  /** The contact's name from the profile API, cached and refreshed at most daily; undefined when unknown (never blocks the message). */
  async function contactName(settings: MessengerSettings, psid: string, lookupsUntil: number): Promise<string | undefined> {
    const storage = connected().storage;
    const key = profileKey(`${settings.pageId}:${psid}`);
    let cached: { name?: string; fetchedAt?: number; failedAt?: number } | null;
    try {
      cached = await storage.get(key);
    } catch {
      cached = null;
    }
    const at = now();
    if (cached?.name && cached.fetchedAt !== undefined && at - cached.fetchedAt < PROFILE_REFRESH_MS) return cached.name;
    if (cached?.failedAt !== undefined && at - cached.failedAt < PROFILE_RETRY_MS) return cached.name;
    // A large batch of new contacts must not keep Meta waiting for its 200: past the budget, names are left for later.
    if (Date.now() > lookupsUntil) return cached?.name;
    const answer = await callGraph<{ name?: unknown; first_name?: unknown; last_name?: unknown }>(connected().http, target(settings), {
      path: encodeURIComponent(psid),
      query: { fields: 'name,first_name,last_name' },
      timeoutMs: 5_000,
      maxResponseBytes: 64 * 1024,
    });
    try {
      if (answer.ok) {
        const body = answer.body ?? {};
        const joined = [body.first_name, body.last_name].filter((part): part is string => typeof part === 'string' && part.trim() !== '').join(' ');
        const name = (typeof body.name === 'string' && body.name.trim() !== '' ? body.name.trim() : joined).slice(0, 200) || undefined;
        await storage.set(key, { ...(name ? { name } : {}), fetchedAt: at });
        return name;
      }
      connected().logger.warn(
        { pageId: settings.pageId, reason: answer.failure.reason },
        'messenger: the profile API gave no name; the message is stored without one',
      );
      await storage.set(key, { ...(cached?.name ? { name: cached.name } : {}), ...(cached?.fetchedAt ? { fetchedAt: cached.fetchedAt } : {}), failedAt: at });
    } catch (error) {
      connected().logger.warn({ error: (error as Error).message }, 'messenger: could not cache the contact name');
    }
    return cached?.name;
  }

  // ---- inbound ---------------------------------------------------------------------------------

  /**
   * Ingests. A refusal the host answers with a 4xx (fields it does not take, a reaction to a message
   * Parley never had) is not redelivered, and the message is not lost either: it is handed over once
   * more with its text only and a note saying what was left out (Meta has its 200). Only a message
   * refused even then is dropped, logged at error level with its mid. Anything else is redelivered.
   */
  async function ingest(message: InboundMessage, thread: string, options: { rethrowRefusal?: boolean } = {}): Promise<void> {
    let result;
    let handedOver = message;
    try {
      result = await connected().ingest(message);
    } catch (error) {
      const status = refusalStatus(error);
      if (status === undefined) throw new Redeliver((error as Error)?.message ?? String(error));
      if (options.rethrowRefusal) throw error;
      const reason = (error as Error).message;
      const stripped = withoutRefusedParts(message, reason, 'Messenger');
      let refusal: unknown = error;
      if (stripped) {
        try {
          result = await connected().ingest(stripped);
          handedOver = stripped;
          connected().logger.warn(
            { mid: message.externalMessageId, status, reason, thread },
            'messenger: the inbox refused part of a message; stored without it',
          );
        } catch (again) {
          if (refusalStatus(again) === undefined) throw new Redeliver((again as Error)?.message ?? String(again));
          refusal = again;
        }
      }
      if (!result) {
        // A connection removed meanwhile, an inbox gone: retrying cannot help. Taking back a reaction Parley never had is no loss.
        const log = message.reaction && !message.reaction.emoji ? connected().logger.warn : connected().logger.error;
        log.call(
          connected().logger,
          { mid: message.externalMessageId, status: refusalStatus(refusal), reason: (refusal as Error).message, thread },
          'messenger: Parley refused a message of the webhook; it is not stored',
        );
        return;
      }
    }
    if (!handedOver.reaction) await rememberThread(thread, result.conversationId);
  }

  function eventTime(event: MessagingEvent): string | undefined {
    const at = typeof event.timestamp === 'number' ? event.timestamp : Number.NaN;
    return Number.isFinite(at) && at > 0 ? new Date(at).toISOString() : undefined;
  }

  async function baseMessage(
    connection: PluginChannelConnection,
    settings: MessengerSettings,
    psid: string,
    externalMessageId: string,
    event: MessagingEvent,
    lookupsUntil: number,
  ): Promise<InboundMessage> {
    const name = await contactName(settings, psid, lookupsUntil);
    const receivedAt = eventTime(event);
    return {
      channel: 'messenger',
      connectionId: connection.id,
      externalThreadId: `${settings.pageId}:${psid}`,
      externalMessageId,
      from: { address: psid, ...(name ? { name } : {}) },
      to: [{ address: settings.pageId }],
      text: '',
      ...(receivedAt ? { receivedAt } : {}),
    };
  }

  async function onMessage(
    connection: PluginChannelConnection,
    settings: MessengerSettings,
    psid: string,
    event: MessagingEvent,
    lookupsUntil: number,
  ): Promise<void> {
    const message = event.message!;
    const mid = typeof message.mid === 'string' && message.mid !== '' ? message.mid : null;
    if (!mid) {
      connected().logger.warn({ pageId: settings.pageId }, 'messenger: a message event without mid; skipped');
      return;
    }
    const inbound = await baseMessage(connection, settings, psid, mid, event, lookupsUntil);
    inbound.text = typeof message.text === 'string' ? message.text : '';
    const payload = typeof message.quick_reply?.payload === 'string' ? message.quick_reply.payload : undefined;
    const fields: MessageField[] = [];
    if (payload?.startsWith(CHOICE_PREFIX)) inbound.choiceId = payload.slice(CHOICE_PREFIX.length);
    else if (payload !== undefined && EMAIL.test(payload.trim())) {
      // The user_email quick reply: the contact shared the address of their Facebook account (rule 12: answer by email).
      inbound.contactEmail = payload.trim();
    }
    const media: MediaRef[] = [];
    for (const attachment of Array.isArray(message.attachments) ? message.attachments : []) {
      const type = typeof attachment?.type === 'string' ? attachment.type : '';
      const url = typeof attachment?.payload?.url === 'string' ? attachment.payload.url : undefined;
      if (MEDIA_TYPES.has(type) && url) media.push({ type, url });
      else if (type === 'location') {
        const lat = Number(attachment.payload?.coordinates?.lat);
        const long = Number(attachment.payload?.coordinates?.long);
        if (Number.isFinite(lat) && Number.isFinite(long)) {
          fields.push({
            key: 'location',
            label: localized('location'),
            value: `${lat}, ${long}`,
            url: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${long}`,
          });
        }
      } else if (url || typeof attachment?.payload?.title === 'string') {
        // `fallback` (a shared link) and kinds we do not show (reels, stories): the link and its title.
        const title = typeof attachment.payload?.title === 'string' ? attachment.payload.title : '';
        fields.push({
          key: 'link',
          label: localized('link'),
          value: (title || url || '').slice(0, 1000),
          ...(url && /^https?:\/\//i.test(url) ? { url } : {}),
        });
      }
    }
    if (fields.length) inbound.fields = fields;
    if (media.length === 0) return ingest(inbound, inbound.externalThreadId);
    // Files: downloaded by a durable job, so the webhook answers at once and nothing is lost.
    try {
      await connected().jobs.schedule(
        MEDIA_JOB,
        { connectionId: connection.id, message: inbound as unknown as Record<string, unknown>, media: media as unknown as Record<string, unknown>[] },
        { jobId: `media:${mid}`, attempts: mediaAttempts, backoff: { type: 'exponential', delayMs: mediaBackoffMs } },
      );
    } catch (error) {
      throw new Redeliver(`could not schedule the download of the files: ${(error as Error).message}`);
    }
  }

  async function download(settings: MessengerSettings, ref: MediaRef, index: number): Promise<InboundFile> {
    const response = await connected().http.request(ref.url, { timeoutMs: 60_000, maxResponseBytes: MAX_ATTACHMENT_BYTES });
    if (response.status < 200 || response.status >= 300) throw new Error(`the file's address answered ${response.status}`);
    if (response.body.length === 0) throw new Error("the file's address answered no bytes");
    const given = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    // What the CDN says, when it is a media type; bytes of no stated type otherwise.
    const contentType = MEDIA_TYPE.test(given) ? given : 'application/octet-stream';
    return { filename: fileName(response.url || ref.url, ref.type, contentType, index), contentType, content: response.body };
  }

  async function mediaJob(data: Record<string, unknown>, job: { attempt: number; attempts: number }): Promise<void> {
    const message = data.message as unknown as InboundMessage;
    const media = (Array.isArray(data.media) ? data.media : []) as unknown as MediaRef[];
    const found = await connected().connections.get(String(data.connectionId));
    if (!found) {
      connected().logger.error(
        { connectionId: data.connectionId, mid: message.externalMessageId },
        'messenger: the connection of a message with files was removed; the message is not stored',
      );
      return;
    }
    const settings = messengerSettings(found);
    const files: InboundFile[] = [];
    const missing: MediaRef[] = [];
    const last = job.attempt >= job.attempts;
    for (const [index, ref] of media.entries()) {
      try {
        files.push(await download(settings, ref, index));
      } catch (error) {
        if (!last) throw new Error(`messenger: could not fetch a ${ref.type} (${(error as Error).message}); trying again`, { cause: error });
        connected().logger.warn(
          { type: ref.type, reason: (error as Error).message },
          'messenger: a file could not be fetched after the last try; stored without it',
        );
        missing.push(ref);
      }
    }
    const noted = (refs: MediaRef[]) => [
      ...(message.fields ?? []),
      ...refs.map((ref) => ({ key: 'attachment-missing', label: localized('attachmentMissing'), value: ref.type })),
    ];
    const fields = noted(missing);
    const complete: InboundMessage = { ...message, ...(files.length ? { files } : {}), ...(fields.length ? { fields } : {}) };
    try {
      await ingest(complete, message.externalThreadId, { rethrowRefusal: files.length > 0 });
    } catch (error) {
      if (refusalStatus(error) === undefined) {
        throw new Error(`messenger: could not store a message with files: ${(error as Error).message}`, { cause: error });
      }
      // Parley refused the files themselves (their size or type): the message is kept without them, saying which are missing.
      connected().logger.warn({ reason: (error as Error).message }, 'messenger: the inbox refused the files of a message; stored without them');
      try {
        await ingest({ ...message, fields: noted(media) }, message.externalThreadId);
      } catch (again) {
        throw new Error(`messenger: could not store a message without its files: ${(again as Error).message}`, { cause: again });
      }
    }
  }

  async function onPostback(
    connection: PluginChannelConnection,
    settings: MessengerSettings,
    psid: string,
    event: MessagingEvent,
    lookupsUntil: number,
  ): Promise<void> {
    const postback = event.postback!;
    const title = typeof postback.title === 'string' ? postback.title : '';
    const payload = typeof postback.payload === 'string' ? postback.payload : '';
    const id = typeof postback.mid === 'string' && postback.mid ? postback.mid : `postback:${psid}:${String(event.timestamp)}:${payload}`.slice(0, 500);
    const inbound = await baseMessage(connection, settings, psid, id, event, lookupsUntil);
    inbound.text = title || payload;
    if (payload.startsWith(CHOICE_PREFIX)) inbound.choiceId = payload.slice(CHOICE_PREFIX.length);
    await ingest(inbound, inbound.externalThreadId);
  }

  async function onReaction(
    connection: PluginChannelConnection,
    settings: MessengerSettings,
    psid: string,
    event: MessagingEvent,
    lookupsUntil: number,
  ): Promise<void> {
    const reaction = event.reaction!;
    const mid = typeof reaction.mid === 'string' ? reaction.mid : '';
    if (!mid) return;
    const unreact = reaction.action === 'unreact';
    const emoji = unreact ? '' : typeof reaction.emoji === 'string' ? reaction.emoji : typeof reaction.reaction === 'string' ? reaction.reaction : '';
    const id = `reaction:${mid}:${unreact ? 'unreact' : 'react'}:${String(event.timestamp)}`;
    const inbound = await baseMessage(connection, settings, psid, id, event, lookupsUntil);
    inbound.reaction = { toExternalMessageId: mid, emoji };
    await ingest(inbound, inbound.externalThreadId);
  }

  /** Meta's receipts: `mids` name replies; a watermark covers every reply of the thread sent at or before it. */
  async function onReceipt(
    settings: MessengerSettings,
    psid: string,
    status: 'delivered' | 'read',
    mids: string[],
    watermark: number | undefined,
  ): Promise<void> {
    const storage = connected().storage;
    const thread = `${settings.pageId}:${psid}`;
    const report = async (conversationId: string, messageId: string, record: ReplyRecord | null, at: string) => {
      if (record?.receipt === 'read' || (record?.receipt === 'delivered' && status === 'delivered')) return;
      await connected().conversations.reportStatus({ conversationId, messageId, status, at });
      if (record) await storage.set(replyKey(conversationId, messageId), { ...record, receipt: status });
    };
    const at = new Date(watermark ?? now()).toISOString();
    for (const mid of mids) {
      const known = await storage.get<{ conversationId: string; messageId: string }>(midKey(mid));
      if (!known) continue;
      await report(known.conversationId, known.messageId, await storage.get<ReplyRecord>(replyKey(known.conversationId, known.messageId)), at);
    }
    if (watermark === undefined) return;
    const link = await storage.get<{ conversationId: string }>(threadKey(thread));
    if (!link) return;
    const messages = (await connected().conversations.messages(link.conversationId)) ?? [];
    for (const message of messages) {
      if (message.direction !== 'outbound' || message.channel !== 'messenger') continue;
      const record = await storage.get<ReplyRecord>(replyKey(link.conversationId, message.messageId));
      if (!record?.sentAt || Date.parse(record.sentAt) > watermark) continue;
      await report(link.conversationId, message.messageId, record, at);
    }
  }

  async function onEvent(connection: PluginChannelConnection, settings: MessengerSettings, event: MessagingEvent, lookupsUntil: number): Promise<void> {
    const count = (kind: string) => metrics?.events.inc({ kind });
    if (typeof event !== 'object' || event === null) return count('other');
    if (event.message?.is_echo === true) return count('echo');
    const psid = typeof event.sender?.id === 'string' || typeof event.sender?.id === 'number' ? String(event.sender.id) : '';
    if (!psid || psid === settings.pageId) return count('other');
    if (event.message) {
      count('message');
      return onMessage(connection, settings, psid, event, lookupsUntil);
    }
    if (event.postback) {
      count('postback');
      return onPostback(connection, settings, psid, event, lookupsUntil);
    }
    if (event.reaction) {
      count('reaction');
      return onReaction(connection, settings, psid, event, lookupsUntil);
    }
    if (event.delivery) {
      count('delivery');
      const mids = Array.isArray(event.delivery.mids) ? event.delivery.mids.filter((m): m is string => typeof m === 'string') : [];
      const watermark = typeof event.delivery.watermark === 'number' ? event.delivery.watermark : undefined;
      return onReceipt(settings, psid, 'delivered', mids, watermark);
    }
    if (event.read) {
      count('read');
      const watermark = typeof event.read.watermark === 'number' ? event.read.watermark : undefined;
      return onReceipt(settings, psid, 'read', [], watermark);
    }
    count('other');
  }

  async function webhook(request: ChannelRequest): Promise<ChannelResponse> {
    const raw = request.rawBody ?? Buffer.alloc(0);
    const connections = await connectionsWithSettings();
    const secret = signingSecret(
      raw,
      request.headers['x-hub-signature-256'],
      connections.map((c) => c.settings.appSecret),
    );
    if (secret === null) {
      metrics?.signatureFailures.inc();
      return refusal(401, 'X-Hub-Signature-256 is missing or does not match the app secret of a Messenger connection');
    }
    let body: { object?: unknown; entry?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
    } catch {
      return refusal(400, 'the body is not JSON');
    }
    if (typeof body !== 'object' || body === null || body.object !== 'page' || !Array.isArray(body.entry)) {
      return refusal(
        400,
        `expected Meta's page webhook: { "object": "page", "entry": [...] } (got object ${describeValue((body as { object?: unknown })?.object)})`,
      );
    }
    let failures = 0;
    const lookupsUntil = Date.now() + PROFILE_LOOKUP_BUDGET_MS;
    for (const entry of body.entry as { id?: unknown; messaging?: unknown }[]) {
      const pageId = typeof entry?.id === 'string' || typeof entry?.id === 'number' ? String(entry.id) : '';
      // The page's connection, and only when its app secret is the one that signed the delivery.
      const match = connections.find((c) => c.settings.pageId === pageId && c.settings.appSecret === secret);
      if (!match) {
        metrics?.events.inc({ kind: 'unknown_page' });
        connected().logger.warn({ pageId }, 'messenger: an entry for a page no connection signed for; skipped');
        continue;
      }
      for (const event of Array.isArray(entry.messaging) ? (entry.messaging as MessagingEvent[]) : []) {
        try {
          await onEvent(match.connection, match.settings, event, lookupsUntil);
        } catch (error) {
          failures += 1;
          connected().logger.error(
            { pageId, reason: (error as Error)?.message },
            'messenger: an event of the webhook could not be handed over; Meta will deliver the batch again',
          );
        }
      }
    }
    if (failures > 0) return refusal(500, `${failures} event(s) could not be stored; deliver the batch again`);
    return { status: 200, body: 'EVENT_RECEIVED', headers: { 'content-type': 'text/plain; charset=utf-8' } };
  }

  // ---- outbound --------------------------------------------------------------------------------

  type Part = { kind: 'text'; text: string; quickReplies?: { content_type: 'text'; title: string; payload: string }[] } | { kind: 'file'; index: number };

  function partsOf(outbound: OutboundMessage): Part[] {
    const parts: Part[] = splitText(outbound.text, MESSENGER_TEXT_LIMIT).map((text) => ({ kind: 'text' as const, text }));
    const choices = (outbound.choices ?? []).slice(0, MAX_QUICK_REPLIES);
    if (choices.length > 0) {
      if (parts.length === 0) parts.push({ kind: 'text', text: '…' });
      const lastText = parts[parts.length - 1] as Extract<Part, { kind: 'text' }>;
      lastText.quickReplies = choices.map(({ id, label }) => ({
        content_type: 'text',
        title: truncate(label, MAX_QUICK_REPLY_TITLE),
        payload: `${CHOICE_PREFIX}${id}`,
      }));
    }
    (outbound.attachments ?? []).forEach((_, index) => parts.push({ kind: 'file', index }));
    return parts;
  }

  async function sendPart(
    settings: MessengerSettings,
    psid: string,
    window: Extract<Window, { open: true }>,
    part: Part,
    outbound: OutboundMessage,
  ): Promise<{ ok: true; mid: string } | { ok: false; failure: DeliveryResult }> {
    const envelope = { recipient: { id: psid }, ...(window.tagged ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : { messaging_type: 'RESPONSE' }) };
    let answer;
    if (part.kind === 'text') {
      const message = { text: part.text, ...(part.quickReplies ? { quick_replies: part.quickReplies } : {}) };
      answer = await callGraph<{ message_id?: unknown }>(connected().http, target(settings), {
        method: 'POST',
        path: 'me/messages',
        json: { ...envelope, message },
      });
    } else {
      const file = outbound.attachments![part.index]!;
      const form = multipart([
        { name: 'recipient', value: JSON.stringify(envelope.recipient) },
        { name: 'messaging_type', value: envelope.messaging_type },
        ...(window.tagged ? [{ name: 'tag', value: 'HUMAN_AGENT' }] : []),
        { name: 'message', value: JSON.stringify({ attachment: { type: attachmentType(file.contentType), payload: { is_reusable: false } } }) },
        { name: 'filedata', filename: file.filename, contentType: file.contentType || 'application/octet-stream', content: file.content },
      ]);
      answer = await callGraph<{ message_id?: unknown }>(connected().http, target(settings), {
        method: 'POST',
        path: 'me/messages',
        body: form,
        timeoutMs: 120_000,
      });
    }
    if (!answer.ok) {
      // Meta's own window check (10 / 2018278): say why, as the reply box would have.
      if (answer.error?.code === 10 && answer.error.error_subcode === 2018278) {
        return { ok: false, failure: permanentFailure(`${MESSENGER_STRINGS[outbound.language ?? 'en'].windowClosed} (Meta: ${answer.failure.reason})`) };
      }
      return { ok: false, failure: answer.failure };
    }
    const mid = typeof answer.body?.message_id === 'string' ? answer.body.message_id : '';
    if (!mid) return { ok: false, failure: retryableFailure('the Send API answered without a message_id') };
    return { ok: true, mid };
  }

  async function send(outbound: OutboundMessage): Promise<DeliveryResult> {
    const outcome = (result: DeliveryResult, label?: string): DeliveryResult => {
      metrics?.sends.inc({ outcome: label ?? (result.status === 'delivered' ? 'delivered' : result.retryable ? 'retryable' : 'permanent') });
      return result;
    };
    const storage = connected().storage;
    try {
      const key = replyKey(outbound.conversationId, outbound.messageId);
      const record: ReplyRecord = (await storage.get<ReplyRecord>(key)) ?? { conversationId: outbound.conversationId, mids: [], done: false };
      if (record.done) return outcome(delivered(record.mids.find((m): m is string => typeof m === 'string')), 'duplicate');
      const conversation = await connected().conversations.get(outbound.conversationId);
      if (!conversation)
        return outcome(permanentFailure(`the conversation ${outbound.conversationId} is not a Messenger conversation Parley knows (deleted?)`));
      const [pageId, psid] = splitThread(conversation.externalThreadId);
      if (!pageId || !psid) return outcome(permanentFailure(`${JSON.stringify(conversation.externalThreadId)} is not a Messenger thread (<page id>:<PSID>)`));
      const found = await connectionOfPage(pageId);
      if (!found) return outcome(permanentFailure(`no Messenger connection for the page ${pageId} (removed?); its contacts cannot be reached`));
      const tooBig = (outbound.attachments ?? []).find((file) => file.content.length > MAX_ATTACHMENT_BYTES);
      if (tooBig) return outcome(permanentFailure(`${tooBig.filename} is larger than Messenger's 25 MB limit`));
      const window = windowAt(conversation.lastContactMessageAt, found.settings.humanAgentTag, now());
      if (!window.open) {
        const strings = MESSENGER_STRINGS[outbound.language ?? 'en'];
        return outcome(permanentFailure(window.tagged ? strings.windowClosedTagged : strings.windowClosed));
      }
      const parts = partsOf(outbound);
      if (parts.length === 0) return outcome(permanentFailure('the reply has neither text nor files'));
      for (const [index, part] of parts.entries()) {
        if (typeof record.mids[index] === 'string') continue;
        const sent = await sendPart(found.settings, psid, window, part, outbound);
        if (!sent.ok) return outcome(sent.failure);
        record.mids[index] = sent.mid;
        record.sentAt = new Date(now()).toISOString();
        if (index === parts.length - 1) record.done = true;
        // Recorded after each part, so a retry sends only what Meta did not take yet.
        await storage.set(key, record);
        await storage.set(midKey(sent.mid), { conversationId: outbound.conversationId, messageId: outbound.messageId });
      }
      await rememberThread(conversation.externalThreadId, outbound.conversationId);
      return outcome(delivered(record.mids.find((m): m is string => typeof m === 'string')));
    } catch (error) {
      return outcome(retryableFailure(`messenger: ${(error as Error)?.message ?? String(error)}`));
    }
  }

  async function replyWindow(conversation: PluginConversation, at: Date): Promise<ReplyWindow> {
    const [pageId] = splitThread(conversation.externalThreadId);
    const found = pageId ? await connectionOfPage(pageId) : null;
    const window = windowAt(conversation.lastContactMessageAt, found?.settings.humanAgentTag ?? false, at.getTime());
    if (window.open) return { open: true, closesAt: window.closesAt };
    return { open: false, closedAt: window.closedAt, reason: localized(window.tagged ? 'windowClosedTagged' : 'windowClosed') };
  }

  async function forgetConversation(conversationId: string): Promise<void> {
    const storage = connected().storage;
    for (;;) {
      const page = await storage.list<ReplyRecord | { thread: string }>(`c:${conversationId}:`, { limit: 500 });
      if (page.length === 0) break;
      for (const { key, value } of page) {
        if ('mids' in value) for (const mid of value.mids) if (typeof mid === 'string') await storage.delete(midKey(mid));
        if ('thread' in value) {
          const link = await storage.get<{ conversationId: string }>(threadKey(value.thread));
          if (link?.conversationId === conversationId) await storage.delete(threadKey(value.thread));
          await storage.delete(profileKey(value.thread));
        }
        await storage.delete(key);
      }
    }
  }

  return {
    id: 'messenger',
    displayName: 'Messenger',
    icon: ICON,
    channel: 'messenger',
    capabilities: { reply: true, html: false, attachments: true, transcript: false, switchToEmail: true, forward: false, compose: false, choices: true },
    connectionSettings: {
      secrets: [...MESSENGER_SECRETS],
      fields: MESSENGER_SETTING_FIELDS,
      validate: (settings, context) =>
        validateMessengerSettings(settings, context, async () => (host ? (await connectionsWithSettings()).map((c) => c.settings.pageId) : [])),
    },
    connect(connection) {
      host = connection;
      metrics = {
        events: connection.metrics.counter('webhook_events_total', "Events of Meta's webhook, by kind (message, echo, postback, reaction, delivery, read …)", {
          labelNames: ['kind'],
        }),
        signatureFailures: connection.metrics.counter(
          'webhook_signature_failures_total',
          'Webhook deliveries refused for a missing or wrong X-Hub-Signature-256',
        ),
        sends: connection.metrics.counter('sends_total', 'Replies handed to the Send API, by outcome (delivered, duplicate, retryable, permanent)', {
          labelNames: ['outcome'],
        }),
      };
      connection.routes.get(
        'webhook',
        handshakeRoute(refusedRequests, async () => (await connectionsWithSettings()).map((c) => c.settings.verifyToken)),
        { public: true },
      );
      connection.routes.post('webhook', withRefusalLimit(refusedRequests, webhook), { public: true, rawBody: true });
      connection.jobs.register(MEDIA_JOB, (data, job) => mediaJob(data, job));
      connection.conversations.onDeletedForever(({ conversationId }) => forgetConversation(conversationId));
    },
    send,
    replyWindow,
    disconnect() {
      host = undefined;
    },
  };
}

// ---- helpers -------------------------------------------------------------------------------------

function refusal(status: number, message: string): ChannelResponse {
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 500: 'Internal Server Error' };
  return { status, body: { statusCode: status, error: reasons[status] ?? 'Error', message } };
}

function describeValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) return 'nothing';
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** `<pageId>:<psid>` into its two parts (empty strings when it is not one). */
export function splitThread(thread: string): [string, string] {
  const at = thread.indexOf(':');
  if (at <= 0) return ['', ''];
  return [thread.slice(0, at), thread.slice(at + 1)];
}

/** Text in chunks of at most `limit` characters (code points), cut at a line break or space where one is near. */
export function splitText(text: string, limit: number): string[] {
  const chars = Array.from(text.trim());
  const chunks: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = Math.min(start + limit, chars.length);
    if (end < chars.length) {
      let cut = end;
      while (cut > start + limit / 2 && !/\s/.test(chars[cut]!)) cut -= 1;
      if (cut > start + limit / 2) end = cut;
    }
    const chunk = chars.slice(start, end).join('').trim();
    if (chunk) chunks.push(chunk);
    start = end;
    while (start < chars.length && /\s/.test(chars[start]!)) start += 1;
  }
  return chunks;
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Messenger's attachment types: image, video, audio, or file for anything else. */
export function attachmentType(contentType: string): 'image' | 'video' | 'audio' | 'file' {
  const major = contentType.split('/')[0]?.toLowerCase();
  return major === 'image' || major === 'video' || major === 'audio' ? major : 'file';
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'application/pdf': 'pdf',
};

/** The file's name from its address (Meta's CDN keeps it), or `<type>-<n>.<ext>`. */
function fileName(url: string, type: string, contentType: string, index: number): string {
  try {
    const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    if (/^[^\\/\0]{1,200}\.[A-Za-z0-9]{1,8}$/.test(last)) return last;
  } catch {
    // not a URL: fall back
  }
  const extension = EXTENSIONS[contentType] ?? 'bin';
  return `${type}-${index + 1}.${extension}`;
}

type FormPart = { name: string; value: string } | { name: string; filename: string; contentType: string; content: Buffer };

/** A multipart/form-data body (the Send API's attachment upload: `filedata`). */
export function multipart(parts: FormPart[]): { contentType: string; bytes: Uint8Array } {
  const boundary = `----parley${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  const quote = (text: string) => text.replace(/[\r\n"\\]/g, '_');
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`, 'utf8'));
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${quote(part.filename)}"\r\nContent-Type: ${quote(part.contentType)}\r\n\r\n`,
          'utf8',
        ),
        part.content,
        Buffer.from('\r\n', 'utf8'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, bytes: Buffer.concat(chunks) };
}
