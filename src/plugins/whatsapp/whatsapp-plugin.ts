import {
  delivered,
  PermanentPluginError,
  permanentFailure,
  retryableFailure,
  type ChannelHostConnection,
  type ChannelPlugin,
  type ChannelRequest,
  type ChannelResponse,
  type DeliveryResult,
  type InboundMessage,
  type MessageTemplate,
  type OutboundMessage,
  type PluginChannelConnection,
  type PluginConversation,
  type PluginCounter,
  type PluginHistogram,
  type ReplyWindow,
} from '../channel-plugin';
import { callGraph, classifyGraphError, graphErrorOf } from '../meta/graph';
import { refusalStatus, withoutRefusedParts } from '../meta/keep-refused';
import { handshakeRoute, RefusedRequestLimit, signingSecret, withRefusalLimit } from '../meta/webhook';
import { INBOUND_NOTES, textIn, WHATSAPP_TEXT } from './i18n';
import { normaliseMessage, parseThreadId, statusReason, type NormalisedMessage, type WaStatus, type WaWebhook } from './inbound';
import {
  approvedTemplate,
  choicesMessage,
  MAX_INTERACTIVE_BODY,
  mediaMessage,
  mediaUpload,
  splitText,
  templateMessage,
  textMessage,
  type OutboundPart,
  type WaTemplate,
} from './outbound';
import { graphTarget, validateWhatsAppSettings, WHATSAPP_SECRETS, WHATSAPP_SETTING_FIELDS, whatsappSettings, type WhatsAppSettings } from './settings';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M3 21l1.65-4.8A8.5 8.5 0 1 1 7.9 19.4z"/>' +
  '<path d="M9 9.5c0 3 2.5 5.5 5.5 5.5l1-1.5-2-1-1 .8a4 4 0 0 1-1.8-1.8l.8-1-1-2z"/></svg>';

/** The customer-service window: free-form messages only this long after the customer's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Approved templates are synced again this often (and when a connection is created or changed). */
export const TEMPLATE_SYNC_MS = 6 * 60 * 60 * 1000;
/** A status for a message Parley does not know (yet) is kept this long for the send to claim it. */
const PENDING_STATUS_MS = 24 * 60 * 60 * 1000;
const MEDIA_JOB = 'media';
const SYNC_JOB = 'sync-templates';
const SYNC_ALL_JOB = 'sync-all-templates';
const CONNECTION_CACHE_MS = 5_000;
const PARALLEL = 8;

export interface WhatsAppPluginOptions {
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
  /** The largest media file downloaded for an inbound message, in bytes (default 16 MiB). */
  maxMediaBytes?: number;
  /** Tries of a media download (the webhook answers before it; the last one ingests without the file). Default 5. */
  mediaAttempts?: number;
  /** Wait before the second media try, doubling after (default 2 s). */
  mediaBackoffMs?: number;
}

/** What `send` recorded of a reply: the wamid of each part sent so far, so a retry sends only the rest. */
interface SentRecord {
  conversationId: string;
  parts: (string | null)[];
  done: boolean;
}

/** What a wamid of ours stands for. */
interface SentWamid {
  conversationId: string;
  messageId: string;
}

interface PendingStatus {
  status: 'delivered' | 'read' | 'failed';
  at: string;
  reason?: string;
  keptAt: number;
}

interface StoredTemplates {
  syncedAt: string;
  templates: MessageTemplate[];
}

class Refusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The WhatsApp Cloud API channel (issue 15): a business phone number connected to an inbox. Meta
 * posts the customers' messages and the statuses of our replies to `POST /channels/whatsapp/webhook`
 * (signed with the app secret, checked before anything is read); replies go to the Graph API's
 * `/{phone-number-id}/messages` with the connection's token, through the host's outbound guard.
 * Built on the public plugin interface only. docs/whatsapp.md is the guide.
 */
export function createWhatsAppPlugin(options: WhatsAppPluginOptions = {}): ChannelPlugin {
  const now = options.now ?? Date.now;
  // Forged or unsigned webhook requests per address (Meta's signed deliveries never count).
  const refusedRequests = new RefusedRequestLimit(now);
  const maxMediaBytes = options.maxMediaBytes ?? 16 * 1024 * 1024;
  const mediaAttempts = options.mediaAttempts ?? 5;
  const mediaBackoffMs = options.mediaBackoffMs ?? 2_000;
  let host: ChannelHostConnection;
  let cached: { list: PluginChannelConnection[]; at: number } | null = null;
  let metrics: {
    deliveries: PluginCounter;
    messages: PluginCounter;
    statuses: PluginCounter;
    sends: PluginCounter;
    syncs: PluginCounter;
    media: PluginCounter;
    signature: PluginHistogram;
  };

  // ---- connections ---------------------------------------------------------------------------

  async function connections(): Promise<PluginChannelConnection[]> {
    if (cached && now() - cached.at < CONNECTION_CACHE_MS) return cached.list;
    const list = await host.connections.list();
    cached = { list, at: now() };
    return list;
  }

  /**
   * The connection and the customer's number of a conversation, from its thread id
   * (`<phone number id>:<wa_id>`): nothing is stored per conversation, so a new conversation costs
   * no write of the plugin's own (each would be a commit of its own on the webhook's path).
   */
  async function targetOf(
    _conversationId: string,
    threadId: string | undefined,
  ): Promise<{ connection: PluginChannelConnection; settings: WhatsAppSettings; waId: string } | null> {
    const parsed = threadId ? parseThreadId(threadId) : null;
    if (!parsed) return null;
    const connection = (await connections()).find((c) => whatsappSettings(c).phoneNumberId === parsed.phoneNumberId);
    return connection ? { connection, settings: whatsappSettings(connection), waId: parsed.waId } : null;
  }

  async function ingest(message: InboundMessage): Promise<void> {
    await host.ingest(message);
  }

  // ---- webhook -------------------------------------------------------------------------------

  async function webhook(request: ChannelRequest): Promise<ChannelResponse> {
    const raw = request.rawBody ?? Buffer.alloc(0);
    const list = await connections();
    const started = process.hrtime.bigint();
    const secret = signingSecret(
      raw,
      request.headers['x-hub-signature-256'],
      list.map((c) => whatsappSettings(c).appSecret),
    );
    metrics.signature.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (!secret) {
      metrics.deliveries.inc({ result: 'unsigned' });
      return { status: 401, body: { error: 'X-Hub-Signature-256: missing, malformed or not signed with the app secret of a WhatsApp connection' } };
    }
    let payload: WaWebhook;
    try {
      payload = JSON.parse(raw.toString('utf8')) as WaWebhook;
    } catch {
      metrics.deliveries.inc({ result: 'invalid' });
      return { status: 400, body: { error: 'body: not JSON' } };
    }
    if (typeof payload !== 'object' || payload === null || payload.object !== 'whatsapp_business_account' || !Array.isArray(payload.entry)) {
      metrics.deliveries.inc({ result: 'invalid' });
      const got = typeof payload === 'object' && payload !== null ? JSON.stringify(String(payload.object)).slice(0, 60) : typeof payload;
      return { status: 400, body: { error: `object: must be "whatsapp_business_account" with an entry list (got ${got})` } };
    }
    const signedBy = list.filter((c) => whatsappSettings(c).appSecret === secret);
    const messages: { item: NormalisedMessage; connectionId: string }[] = [];
    const statuses: WaStatus[] = [];
    for (const entry of payload.entry) {
      for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
        if (change?.field !== 'messages' || typeof change.value !== 'object' || change.value === null) continue;
        const value = change.value;
        const phoneNumberId = String(value.metadata?.phone_number_id ?? '');
        const connection = signedBy.find((c) => whatsappSettings(c).phoneNumberId === phoneNumberId);
        if (!connection) {
          host.logger.warn({ phoneNumberId }, 'a WhatsApp webhook change for a number no connection signed by this app has; skipped');
          continue;
        }
        for (const raw of Array.isArray(value.messages) ? value.messages : []) {
          const item = normaliseMessage(value, raw, connection.id, phoneNumberId);
          if (item) messages.push({ item, connectionId: connection.id });
          else host.logger.warn({ phoneNumberId }, 'a WhatsApp message without an id or sender; skipped');
        }
        for (const status of Array.isArray(value.statuses) ? value.statuses : []) statuses.push(status);
      }
    }
    const failures: unknown[] = [];
    // One thread's messages in order; threads side by side.
    const byThread = new Map<string, { item: NormalisedMessage; connectionId: string }[]>();
    for (const one of messages) {
      const list = byThread.get(one.item.message.externalThreadId) ?? [];
      list.push(one);
      byThread.set(one.item.message.externalThreadId, list);
    }
    await inParallel([...byThread.values()], async (thread) => {
      for (const { item } of thread) {
        try {
          await handOver(item);
        } catch (error) {
          failures.push(error);
          return; // The rest of this thread waits for Meta's redelivery, in order.
        }
      }
    });
    await inParallel(statuses, async (status) => {
      try {
        await applyStatus(status);
      } catch (error) {
        failures.push(error);
      }
    });
    if (failures.length > 0) {
      metrics.deliveries.inc({ result: 'failed' });
      host.logger.error(
        { err: failures[0], failures: failures.length },
        'a WhatsApp webhook delivery was not handed over completely; answering 500 so Meta delivers it again',
      );
      return { status: 500, body: { error: 'not everything of this delivery could be stored; deliver it again' } };
    }
    metrics.deliveries.inc({ result: 'accepted' });
    return { status: 200, body: { received: messages.length, statuses: statuses.length } };
  }

  /** Ingests a message now, or schedules the download of its media (durable) and answers. */
  async function handOver(item: NormalisedMessage): Promise<void> {
    const type = item.media?.type ?? (item.message.reaction ? 'reaction' : 'other');
    if (item.media) {
      await host.jobs.schedule(
        MEDIA_JOB,
        { message: item.message as unknown as Record<string, unknown>, media: item.media },
        { jobId: `media:${item.message.externalMessageId}`, attempts: mediaAttempts, backoff: { type: 'exponential', delayMs: mediaBackoffMs } },
      );
      metrics.messages.inc({ type });
      return;
    }
    const kept = await ingestKeeping(item.message);
    metrics.messages.inc({ type: kept ? type : 'refused' });
  }

  /**
   * Ingests; when the inbox refuses the message (4xx: its fields, a reaction to a message Parley
   * never had) it is handed over once more with its text only and a note saying what was left out,
   * as Meta has its 200. False when even that is refused: dropped, logged at error level with its wamid.
   * Anything else throws (the delivery is answered 500, or the job tried again). `refused`: the
   * inbox's refusal of this very message already in hand (it is not handed over whole again).
   */
  async function ingestKeeping(message: InboundMessage, refused?: unknown): Promise<boolean> {
    try {
      if (refused) throw refused;
      await ingest(message);
      return true;
    } catch (error) {
      const status = refusalStatus(error);
      if (status === undefined) throw error;
      const reason = (error as Error).message;
      const stripped = withoutRefusedParts(message, reason, 'WhatsApp');
      let refusal: unknown = error;
      if (stripped) {
        try {
          await ingest(stripped);
          host.logger.warn({ externalMessageId: message.externalMessageId, status, reason }, 'the inbox refused part of a WhatsApp message; stored without it');
          return true;
        } catch (again) {
          if (refusalStatus(again) === undefined) throw again;
          refusal = again;
        }
      }
      const log = message.reaction && !message.reaction.emoji ? host.logger.warn : host.logger.error;
      log.call(
        host.logger,
        { externalMessageId: message.externalMessageId, status: refusalStatus(refusal), reason: (refusal as Error).message },
        'the inbox refused a WhatsApp message; it is not stored',
      );
      return false;
    }
  }

  async function mediaJob(data: Record<string, unknown>, job: { attempt: number; attempts: number }): Promise<void> {
    const message = data.message as InboundMessage;
    const media = data.media as NonNullable<NormalisedMessage['media']>;
    const connection = message.connectionId ? await host.connections.get(message.connectionId) : null;
    if (!connection) {
      host.logger.error({ externalMessageId: message.externalMessageId }, 'the WhatsApp connection of a media message was removed; it is not stored');
      return;
    }
    const result = await downloadMedia(whatsappSettings(connection), media);
    let finalMessage: InboundMessage;
    if (result.ok) {
      finalMessage = { ...message, files: [result.file] };
      metrics.media.inc({ result: 'downloaded' });
    } else if (result.retryable && job.attempt < job.attempts) {
      throw new Error(`media ${media.id}: ${result.reason}`);
    } else {
      host.logger.warn(
        { externalMessageId: message.externalMessageId, reason: result.reason },
        'WhatsApp media could not be downloaded; the message is stored without it',
      );
      metrics.media.inc({ result: 'missing' });
      const note = INBOUND_NOTES.mediaMissing(media.type, result.reason);
      finalMessage = { ...message, text: message.text ? `${message.text}\n\n${note}` : note };
    }
    try {
      await ingest(finalMessage);
    } catch (error) {
      if (refusalStatus(error) === undefined) throw error;
      // The inbox refused the file itself (its size or type): the message is kept without it, saying why.
      const note = INBOUND_NOTES.mediaMissing(media.type, (error as Error).message);
      let kept: boolean;
      if (finalMessage.files) {
        host.logger.warn(
          { externalMessageId: message.externalMessageId, reason: (error as Error).message },
          'the inbox refused a WhatsApp file; the message is stored without it',
        );
        kept = await ingestKeeping({ ...message, text: message.text ? `${message.text}\n\n${note}` : note });
      } else kept = await ingestKeeping(finalMessage, error);
      if (!kept) throw new PermanentPluginError(`the inbox refused a WhatsApp media message: ${(error as Error).message}`);
    }
  }

  async function downloadMedia(
    settings: WhatsAppSettings,
    media: NonNullable<NormalisedMessage['media']>,
  ): Promise<{ ok: true; file: { filename: string; contentType: string; content: Buffer } } | { ok: false; retryable: boolean; reason: string }> {
    const target = graphTarget(settings);
    const info = await callGraph<{ url?: string; mime_type?: string; file_size?: number | string }>(host.http, target, { path: encodeURIComponent(media.id) });
    if (!info.ok) return { ok: false, retryable: info.failure.retryable, reason: info.failure.reason };
    const url = typeof info.body?.url === 'string' ? info.body.url : '';
    if (!/^https?:\/\//.test(url)) return { ok: false, retryable: false, reason: 'the Graph API gave no download URL for the media' };
    const size = Number(info.body?.file_size);
    if (Number.isFinite(size) && size > maxMediaBytes)
      return { ok: false, retryable: false, reason: `the file is larger (${size} bytes) than Parley keeps (${maxMediaBytes})` };
    let response;
    try {
      response = await host.http.request(url, {
        headers: { authorization: `Bearer ${settings.accessToken}` },
        redirect: 'manual',
        maxResponseBytes: maxMediaBytes,
        timeoutMs: 60_000,
      });
    } catch (error) {
      const failure = error as { code?: string; retryable?: boolean; message?: string };
      if (failure.code === 'OUTBOUND_TOO_LARGE')
        return { ok: false, retryable: false, reason: `the file is larger than Parley keeps (${maxMediaBytes} bytes)` };
      return { ok: false, retryable: failure.retryable !== false, reason: failure.message ?? String(error) };
    }
    if (response.status < 200 || response.status >= 300) {
      const failure = classifyGraphError(response.status, graphErrorOf(response.body), settings.accessToken);
      return { ok: false, retryable: failure.retryable, reason: failure.reason };
    }
    if (response.body.length === 0) return { ok: false, retryable: true, reason: 'the download was empty' };
    const given = (info.body?.mime_type || media.mimeType || response.headers['content-type'] || '').split(';')[0]!.trim().toLowerCase();
    // What the inbox takes as a media type; anything else is kept as bytes.
    const contentType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(given) ? given : 'application/octet-stream';
    const filename = media.filename ?? `${media.type}-${media.id}.${extensionOf(contentType)}`;
    return { ok: true, file: { filename, contentType, content: response.body } };
  }

  // ---- statuses ------------------------------------------------------------------------------

  async function applyStatus(raw: WaStatus): Promise<void> {
    const wamid = typeof raw?.id === 'string' ? raw.id : '';
    const kind = raw?.status;
    metrics.statuses.inc({ status: typeof kind === 'string' && ['sent', 'delivered', 'read', 'failed'].includes(kind) ? kind : 'other' });
    if (!wamid || (kind !== 'delivered' && kind !== 'read' && kind !== 'failed')) return; // `sent`: the send recorded it.
    const seconds = Number(raw.timestamp);
    const at = new Date(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : now()).toISOString();
    const report: PendingStatus = { status: kind, at, ...(kind === 'failed' ? { reason: statusReason(raw.errors) } : {}), keptAt: now() };
    const known = await host.storage.get<SentWamid>(`wamid:${wamid}`);
    if (known) return report_(known, report);
    // It may have beaten the send's bookkeeping: kept, then looked for again (the send looks for kept ones after recording).
    const key = `pending:${wamid}:${kind}`;
    await host.storage.set(key, report);
    const again = await host.storage.get<SentWamid>(`wamid:${wamid}`);
    if (again) {
      await report_(again, report);
      await host.storage.delete(key);
    }
  }

  async function report_(sent: SentWamid, report: PendingStatus): Promise<void> {
    await host.conversations.reportStatus({
      conversationId: sent.conversationId,
      messageId: sent.messageId,
      status: report.status,
      at: report.at,
      ...(report.reason ? { reason: report.reason } : {}),
    });
  }

  async function applyPending(wamid: string, sent: SentWamid): Promise<void> {
    for (const { key, value } of await host.storage.list<PendingStatus>(`pending:${wamid}:`)) {
      await report_(sent, value);
      await host.storage.delete(key);
    }
  }

  async function prunePending(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await host.storage.list<PendingStatus>('pending:', { ...(after ? { after } : {}), limit: 500 });
      for (const { key, value } of page) if (now() - (value?.keptAt ?? 0) > PENDING_STATUS_MS) await host.storage.delete(key);
      if (page.length < 500) return;
      after = page[page.length - 1]!.key;
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  async function send(outbound: OutboundMessage): Promise<DeliveryResult> {
    const result = await sendOnce(outbound);
    metrics.sends.inc({ result: result.status === 'delivered' ? 'delivered' : result.retryable ? 'retryable' : 'permanent' });
    return result;
  }

  async function sendOnce(outbound: OutboundMessage): Promise<DeliveryResult> {
    if (outbound.channel !== 'whatsapp') return permanentFailure(`the WhatsApp channel cannot send on ${JSON.stringify(outbound.channel)}`);
    const recordKey = `sent:${outbound.messageId}`;
    let record: SentRecord | null;
    try {
      record = await host.storage.get<SentRecord>(recordKey);
    } catch (error) {
      return retryableFailure(`the plugin's storage is unavailable (${(error as Error).message})`);
    }
    if (record?.done) return delivered(record.parts.filter(Boolean).at(-1) ?? undefined);
    const target = await targetOf(outbound.conversationId, outbound.thread.externalThreadId);
    if (!target) return permanentFailure('no WhatsApp connection sends for this conversation (its number was disconnected)');
    if (!outbound.template) {
      const conversation = await host.conversations.get(outbound.conversationId);
      if (conversation) {
        const window = replyWindow(conversation, new Date(now()));
        if (!window.open) return permanentFailure(window.reason.en);
      }
    }
    const parts = planParts(outbound, target.waId);
    record = record ?? { conversationId: outbound.conversationId, parts: [], done: false };
    const api = graphTarget(target.settings);
    for (let index = 0; index < parts.length; index += 1) {
      if (record.parts[index]) continue;
      const part = parts[index]!;
      let body: Record<string, unknown>;
      if (part.kind === 'media') {
        const uploaded = await callGraph<{ id?: string }>(host.http, api, {
          method: 'POST',
          path: `${target.settings.phoneNumberId}/media`,
          body: mediaUpload(part.attachment),
          timeoutMs: 60_000,
        });
        if (!uploaded.ok) return uploaded.failure;
        if (typeof uploaded.body?.id !== 'string') return retryableFailure('the Graph API answered a media upload without an id');
        body = mediaMessage(target.waId, uploaded.body.id, part.attachment);
      } else body = part.body;
      const sent = await callGraph<{ messages?: { id?: string }[] }>(host.http, api, {
        method: 'POST',
        path: `${target.settings.phoneNumberId}/messages`,
        json: body,
      });
      if (!sent.ok) return sent.failure;
      const wamid = sent.body?.messages?.[0]?.id;
      if (typeof wamid !== 'string' || wamid === '') return retryableFailure('the Graph API accepted the message without a message id');
      record.parts[index] = wamid;
      try {
        await host.storage.set(`wamid:${wamid}`, { conversationId: outbound.conversationId, messageId: outbound.messageId } satisfies SentWamid);
        await host.storage.set(recordKey, record);
      } catch (error) {
        return retryableFailure(`sent, but the plugin's storage is unavailable (${(error as Error).message})`);
      }
    }
    record.done = true;
    try {
      await host.storage.set(recordKey, record);
      for (const wamid of record.parts) if (wamid) await applyPending(wamid, { conversationId: outbound.conversationId, messageId: outbound.messageId });
    } catch (error) {
      return retryableFailure(`sent, but the plugin's storage is unavailable (${(error as Error).message})`);
    }
    return delivered(record.parts.filter(Boolean).at(-1) ?? undefined);
  }

  function planParts(outbound: OutboundMessage, to: string): OutboundPart[] {
    if (outbound.template) return [{ kind: 'json', body: templateMessage(to, outbound.template) }];
    const parts: OutboundPart[] = [];
    const texts = outbound.text.trim() === '' ? [] : splitText(outbound.text);
    const choices = (outbound.choices ?? []).filter((c) => c.label.trim() !== '');
    let interactive: Record<string, unknown> | null = null;
    if (choices.length > 0) {
      const last = texts.at(-1);
      const body = last !== undefined && last.length <= MAX_INTERACTIVE_BODY ? (texts.pop() as string) : textIn(WHATSAPP_TEXT.chooseAnswer, outbound.language);
      interactive = choicesMessage(to, body, choices, textIn(WHATSAPP_TEXT.listButton, outbound.language));
    }
    for (const text of texts) parts.push({ kind: 'json', body: textMessage(to, text) });
    if (interactive) parts.push({ kind: 'json', body: interactive });
    for (const attachment of outbound.attachments ?? []) parts.push({ kind: 'media', attachment });
    return parts;
  }

  function replyWindow(conversation: PluginConversation, at: Date): ReplyWindow {
    const last = Date.parse(conversation.lastContactMessageAt);
    const closes = (Number.isFinite(last) ? last : 0) + WINDOW_MS;
    if (at.getTime() < closes) return { open: true, closesAt: new Date(closes).toISOString() };
    return { open: false, closedAt: new Date(closes).toISOString(), reason: WHATSAPP_TEXT.windowClosed };
  }

  // ---- templates -----------------------------------------------------------------------------

  async function syncTemplates(connectionId: string): Promise<{ ok: true; stored: StoredTemplates } | { ok: false; reason: string }> {
    const connection = await host.connections.get(connectionId);
    if (!connection) return { ok: false, reason: 'the connection was removed' };
    const settings = whatsappSettings(connection);
    const api = graphTarget(settings);
    const templates: MessageTemplate[] = [];
    let page = await callGraph<{ data?: WaTemplate[]; paging?: { next?: string } }>(host.http, api, {
      path: `${settings.businessAccountId}/message_templates`,
      query: { fields: 'name,language,status,category,components', limit: '100' },
    });
    for (let pages = 0; ; pages += 1) {
      if (!page.ok) {
        metrics.syncs.inc({ result: 'failed' });
        host.logger.warn({ connectionId, reason: page.failure.reason }, 'syncing WhatsApp templates failed; the last list is kept');
        return { ok: false, reason: page.failure.reason };
      }
      for (const raw of Array.isArray(page.body?.data) ? page.body.data : []) {
        const template = approvedTemplate(raw);
        if (template) templates.push(template);
      }
      const next = page.body?.paging?.next;
      if (typeof next !== 'string' || next === '' || pages >= 50) break;
      // The token goes only where the connection's Graph API is: a `next` elsewhere is not followed.
      let nextUrl: URL;
      try {
        nextUrl = new URL(next);
      } catch {
        break;
      }
      if (nextUrl.origin !== new URL(settings.graphApiBaseUrl).origin) {
        host.logger.warn({ connectionId }, "a template page's next link leaves the Graph API; not followed");
        break;
      }
      const path = nextUrl.pathname.replace(/^\/+/, '').replace(new RegExp(`^${settings.apiVersion.replace('.', '\\.')}/`), '');
      page = await callGraph(host.http, api, { path, query: Object.fromEntries(nextUrl.searchParams) });
    }
    const stored: StoredTemplates = { syncedAt: new Date(now()).toISOString(), templates };
    await host.storage.set(`templates:${connectionId}`, stored);
    metrics.syncs.inc({ result: 'ok' });
    return { ok: true, stored };
  }

  async function syncAll(): Promise<void> {
    for (const connection of await host.connections.list()) await syncTemplates(connection.id);
    await prunePending();
  }

  async function scheduleNextSyncAll(): Promise<void> {
    const slot = Math.floor(now() / TEMPLATE_SYNC_MS) + 1;
    await host.jobs.schedule(SYNC_ALL_JOB, { slot }, { jobId: `${SYNC_ALL_JOB}:${slot}`, delayMs: Math.max(0, slot * TEMPLATE_SYNC_MS - now()), attempts: 3 });
  }

  async function syncRoute(request: ChannelRequest): Promise<ChannelResponse> {
    if (request.agent?.role !== 'admin') throw new Refusal(403, 'only an admin may sync the templates of a WhatsApp connection');
    const connectionId = request.params.connectionId ?? '';
    if (!(await host.connections.get(connectionId))) throw new Refusal(404, `no WhatsApp connection ${JSON.stringify(connectionId.slice(0, 80))}`);
    const result = await syncTemplates(connectionId);
    if (!result.ok) return { status: 502, body: { error: `the templates could not be synced: ${result.reason}` } };
    return { status: 200, body: { connectionId, ...result.stored } };
  }

  const guarded =
    (handler: (request: ChannelRequest) => Promise<ChannelResponse>) =>
    async (request: ChannelRequest): Promise<ChannelResponse> => {
      try {
        return await handler(request);
      } catch (error) {
        if (error instanceof Refusal) return { status: error.statusCode, body: { error: error.message } };
        throw error;
      }
    };

  return {
    id: 'whatsapp',
    displayName: 'WhatsApp',
    icon: ICON,
    channel: 'whatsapp',
    capabilities: {
      reply: true,
      html: false,
      attachments: true,
      transcript: false,
      switchToEmail: false,
      forward: false,
      compose: false,
      choices: true,
      templates: true,
    },
    connectionSettings: {
      secrets: WHATSAPP_SECRETS,
      fields: WHATSAPP_SETTING_FIELDS,
      validate: (settings, context) =>
        validateWhatsAppSettings(settings, context, async () => (host ? (await host.connections.list()).map((c) => whatsappSettings(c).phoneNumberId) : [])),
    },
    connect(connection) {
      host = connection;
      metrics = {
        deliveries: connection.metrics.counter('webhook_deliveries_total', 'Webhook deliveries from Meta, by result (accepted, unsigned, invalid, failed)', {
          labelNames: ['result'],
        }),
        messages: connection.metrics.counter('messages_received_total', 'Customer messages handed over, by type (image, reaction, other …)', {
          labelNames: ['type'],
        }),
        statuses: connection.metrics.counter('statuses_received_total', 'Statuses of replies reported by Meta, by status', { labelNames: ['status'] }),
        sends: connection.metrics.counter('sends_total', 'Replies sent to the Graph API, by result (delivered, retryable, permanent)', {
          labelNames: ['result'],
        }),
        syncs: connection.metrics.counter('template_syncs_total', 'Template syncs, by result (ok, failed)', { labelNames: ['result'] }),
        media: connection.metrics.counter('media_downloads_total', 'Inbound media, by result (downloaded, missing)', { labelNames: ['result'] }),
        signature: connection.metrics.histogram('webhook_signature_seconds', 'Time spent checking the signature of one webhook delivery', {
          buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01],
        }),
      };
      connection.routes.get(
        'webhook',
        handshakeRoute(refusedRequests, async () => (await connections()).map((c) => whatsappSettings(c).verifyToken)),
        { public: true },
      );
      connection.routes.post('webhook', withRefusalLimit(refusedRequests, guarded(webhook)), { public: true, rawBody: true });
      connection.routes.post('connections/:connectionId/templates/sync', guarded(syncRoute));
      connection.jobs.register(MEDIA_JOB, (data, job) => mediaJob(data, job));
      connection.jobs.register(SYNC_JOB, async (data) => {
        const result = await syncTemplates(String(data.connectionId));
        if (!result.ok && result.reason !== 'the connection was removed') throw new Error(result.reason);
      });
      connection.jobs.register(SYNC_ALL_JOB, async () => {
        await syncAll();
        await scheduleNextSyncAll();
      });
      connection.connections.onChange(({ type, connectionId }) => {
        cached = null;
        if (type === 'removed') return;
        void host.jobs
          .schedule(SYNC_JOB, { connectionId }, { attempts: 3, backoff: { type: 'exponential', delayMs: 5_000 } })
          .catch((error) => host.logger.warn({ err: error, connectionId }, 'could not schedule a WhatsApp template sync'));
      });
      connection.listen({
        name: 'template-sync-schedule',
        // A queue that refuses now costs the six-hourly sync until the next start, never the start itself.
        start: () => scheduleNextSyncAll().catch((error) => host.logger.warn({ err: error }, 'could not schedule the six-hourly WhatsApp template sync')),
        stop: () => undefined,
      });
    },
    send,
    replyWindow,
    async templates(conversation) {
      const target = await targetOf(conversation.conversationId, conversation.externalThreadId);
      if (!target) return [];
      return (await host.storage.get<StoredTemplates>(`templates:${target.connection.id}`))?.templates ?? [];
    },
  };
}

async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(PARALLEL, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

function extensionOf(contentType: string): string {
  const known: Record<string, string> = {
    'image/jpeg': 'jpg',
    'image/png': 'png',
    'image/webp': 'webp',
    'audio/ogg': 'ogg',
    'audio/mpeg': 'mp3',
    'audio/mp4': 'm4a',
    'audio/aac': 'aac',
    'audio/amr': 'amr',
    'video/mp4': 'mp4',
    'video/3gpp': '3gp',
    'application/pdf': 'pdf',
    'text/plain': 'txt',
  };
  return known[contentType] ?? 'bin';
}
