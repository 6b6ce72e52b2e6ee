import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttachmentRef, ChannelHostConnection, ChannelPlugin, DeliveryResult, OutboundMessage, Party, PluginAgent } from '../channel-plugin';
import { retryableFailure } from '../channel-plugin';
import { downloadHeaders } from './blob-download';
import { EmailReceiver, type InboxDirectory } from './inbound/receive-email';
import { DEFAULT_PARSE_LIMITS } from './inbound/parse-email';
import { EmailSender } from './outbound/email-sender';
import { EmailTemplates } from './outbound/email-templates';
import { SmtpListener } from './smtp/smtp-listener';
import { FileKeyValueStore } from './storage/file-key-value-store';
import type { PluginKeyValueStore } from './storage/key-value-store';
import { BlobReferences } from './storage/blob-references';
import { BlobStore } from './storage/raw-message-store';
import { migrateLegacyThreadIndex, ThreadIndex } from './threading/thread-index';
import { ContinuedConversations } from './outbound/continued-conversations';

export interface EmailPluginOptions {
  /** SMTP_PORT; 0 picks a free port (tests read it from `smtpPort()`). */
  smtpPort?: number;
  smtpHost?: string;
  /** SMTP_RELAY_URL; null or empty: replies cannot be sent (they stay queued and retried). */
  relayUrl?: string | null;
  /** PARLEY_INBOX_EMAIL: the sender when an outbound message names none. */
  inboxEmail?: string;
  /**
   * Where originals and attachments are kept (large blobs); default: FileKeyValueStore in
   * `storageDir`. The thread index is in the host's plugin storage (`connection.storage`).
   */
  storage?: PluginKeyValueStore;
  /** Folder for the default storage (e.g. <PARLEY_DATA_DIR>/plugins/email). */
  storageDir?: string;
  /** Which inbox takes which address; without it all mail goes to the default inbox. */
  inboxes?: InboxDirectory | null;
  /** Largest message accepted over SMTP, bytes (default 25 MiB). */
  maxMessageBytes?: number;
  /** Open SMTP sessions at most (default 20); the surplus is answered 421, try again later. */
  maxSessions?: number;
  /** Open SMTP sessions from one client address at most (default 5), so one client cannot hold every slot. */
  maxSessionsPerClient?: number;
  /** Where messages are spooled as they arrive; default `<storageDir>/spool`, else a private temporary folder. */
  spoolDir?: string;
  templatesDir?: string;
  clock?: () => Date;
  /** Relay timeouts (tests shorten them). */
  relayTimeouts?: { connectionMs: number; greetingMs: number; socketMs: number };
  /** How long shutdown lets open SMTP sessions finish (default 5 s). */
  smtpCloseTimeoutMs?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MAX_SESSIONS = 20;
export const DEFAULT_MAX_SESSIONS_PER_CLIENT = 5;
/**
 * Parsing a message takes a few times its size in memory (its bytes, decoded attachments, the
 * parser's buffers): messages are handled together only up to this many bytes, a larger one alone.
 */
export const HANDLING_BUDGET_BYTES = 32 * 1024 * 1024;

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="2" y="4" width="20" height="16" rx="2"/><path d="m22 7-10 6L2 7"/></svg>';

export interface EmailPlugin extends ChannelPlugin {
  /** The port the SMTP listener is bound to (after the host started it). */
  smtpPort(): number;
}

/**
 * The email channel: an SMTP listener for inbound mail (threaded by Message-ID, In-Reply-To,
 * References, then subject and sender), outbound mail through a relay, compose and forward.
 *
 * Settings: the options the host passes when it creates the plugin (Parley's own SMTP_PORT,
 * HOST, SMTP_RELAY_URL, PARLEY_INBOX_EMAIL and data folder), else the plugin's settings
 * (PARLEY_PLUGIN_EMAIL_SMTP_PORT, _SMTP_HOST, _RELAY_URL, _INBOX_EMAIL, _STORAGE_DIR), plus
 * PARLEY_PLUGIN_EMAIL_MAX_MESSAGE_BYTES and PARLEY_PLUGIN_EMAIL_TEMPLATES_DIR.
 */
export function createEmailPlugin(options: EmailPluginOptions = {}): EmailPlugin {
  let sender: EmailSender | null = null;
  let listener: SmtpListener | null = null;
  /** A spool folder this plugin made up in the temporary folder (no storage folder given): removed on disconnect. */
  let temporarySpool: string | null = null;
  const clock = options.clock ?? (() => new Date());

  return {
    id: 'email',
    displayName: 'Email',
    icon: ICON,
    channel: 'email',
    capabilities: { reply: true, html: true, attachments: true, transcript: false, switchToEmail: false, forward: true, compose: true, cc: true },

    // The email channel keeps its attachments itself (blobs shared by the conversations that hold
    // them): agents download them from its blob route, which checks access by conversation; name
    // and type travel along for the download's headers.
    attachmentUrl: (_conversationId: string, attachment: AttachmentRef) =>
      `/api/channels/email/blobs/${encodeURIComponent(attachment.id)}?name=${encodeURIComponent(attachment.filename)}&type=${encodeURIComponent(attachment.contentType)}`,

    async connect(connection: ChannelHostConnection) {
      const { logger } = connection;
      const settings = resolveSettings(options, connection);
      if (settings.spoolIsTemporary) temporarySpool = settings.spoolDir;
      const storage = settings.storage;
      // An older version kept the thread index in the same folder: read there until copied (see the listener's start).
      const legacyIndex = storage instanceof FileKeyValueStore ? storage : null;
      const index = new ThreadIndex(connection.storage, legacyIndex);
      const blobs = new BlobStore(storage);
      const references = new BlobReferences(storage, blobs);
      const { maxMessageBytes, inboxEmail } = settings;
      const templates = EmailTemplates.load(settings.templatesDir);
      const defaultFrom: Party | null = inboxEmail ? { address: inboxEmail } : null;

      // Rule 12: which email threads carry a chat answered by email (in the host's shared plugin storage).
      const continued = new ContinuedConversations(connection.storage);
      sender = new EmailSender({ relayUrl: settings.relayUrl, defaultFrom, templates, index, logger, clock, timeouts: options.relayTimeouts, continued });
      const receiver = new EmailReceiver({
        ingest: (message) => connection.ingest(message),
        inboxes: settings.inboxes,
        blobs,
        references,
        index,
        continued,
        clock,
        logger,
        limits: { ...DEFAULT_PARSE_LIMITS, maxHeaderBytes: Math.min(DEFAULT_PARSE_LIMITS.maxHeaderBytes, maxMessageBytes) },
      });
      const smtp = new SmtpListener({
        port: settings.smtpPort,
        host: settings.smtpHost,
        maxMessageBytes,
        maxRecipients: 100,
        maxSessions: settings.maxSessions,
        maxSessionsPerClient: settings.maxSessionsPerClient,
        handlingBudgetBytes: HANDLING_BUDGET_BYTES,
        spoolDir: settings.spoolDir,
        removeSpoolOnStop: settings.spoolIsTemporary,
        serverName: domainOf(inboxEmail) ?? 'parley',
        closeTimeoutMs: options.smtpCloseTimeoutMs ?? 5000,
        socketTimeoutMs: 60_000,
        checkRecipient: (address) => receiver.checkRecipient(address),
        receive: (message, envelope) => receiver.receive(message, envelope),
        logger,
        sessions: smtpSessionMetrics(connection),
      });
      listener = smtp;
      connection.listen({
        name: 'smtp',
        start: async () => {
          // Once, before mail is taken: an upgraded instance finds its threads in the host's storage.
          if (legacyIndex) {
            const copied = await migrateLegacyThreadIndex(connection.storage, legacyIndex);
            if (copied) logger.info(copied, 'email thread index copied from files into plugin storage');
          }
          await smtp.start();
        },
        stop: () => smtp.stop(),
      });

      /**
       * Only for an agent who may read a conversation holding the blob. Blobs stored before their
       * holders were recorded name no conversation: only admins (who reach every inbox) get those.
       */
      const mayRead = async (agent: PluginAgent | undefined, id: string): Promise<boolean> => {
        if (!agent) return false;
        const holders = await references.holders(id);
        if (holders === null) return agent.role === 'admin';
        for (const conversationId of holders) if (await connection.conversations.canRead(agent, conversationId)) return true;
        return false;
      };

      // Agents download attachments and auditors a message's original bytes by the id its event records.
      // No access answers exactly like an unknown blob: the answer must not tell that it exists.
      connection.routes.get('blobs/:id', async (request) => {
        const id = request.params.id ?? '';
        const content = (await mayRead(request.agent, id)) ? await blobs.get(id) : null;
        if (!content) return { status: 404, body: { statusCode: 404, error: 'Not Found', message: `no email blob ${id}` } };
        return { status: 200, headers: downloadHeaders(id, request.query), body: content };
      });

      // Delete forever: the originals and attachments no other conversation holds go with it.
      // The thread index's excerpt of the text goes too (a thread shared with another inbox's
      // conversation then quotes nothing in its next reply: the lesser harm).
      // A notice that arrives late (a retried job) may find the conversation recreated under the same
      // id by a new message: what it holds again stays, and so does the thread's text.
      connection.conversations.onDeletedForever(async ({ conversationId, externalThreadId, attachmentIds }) => {
        const heldAgain = await connection.conversations.attachmentIds(conversationId);
        if (heldAgain === null) await index.forgetContent(externalThreadId);
        const { deleted } = await references.release(
          conversationId,
          attachmentIds.filter((id) => !heldAgain?.includes(id)),
        );
        logger.info(
          { conversationId, deletedBlobs: deleted.length, keptBlobs: new Set(attachmentIds).size - deleted.length },
          'email blobs of a conversation deleted forever removed',
        );
      });

      // Mail an older version stored readable to others is narrowed to owner-only (last: every declaration is made).
      if (settings.storage instanceof FileKeyValueStore) await settings.storage.makePrivate();
    },

    async send(outbound: OutboundMessage): Promise<DeliveryResult> {
      if (!sender) return retryableFailure('the email channel is not connected yet');
      return sender.send(outbound);
    },

    disconnect() {
      sender?.close();
      sender = null;
      if (temporarySpool) rmSync(temporarySpool, { recursive: true, force: true });
      temporarySpool = null;
    },

    smtpPort() {
      if (!listener) throw new Error('the email plugin is not connected');
      return listener.port;
    },
  };
}

interface Settings {
  smtpPort: number;
  smtpHost: string;
  relayUrl: string | null;
  inboxEmail: string | undefined;
  storage: PluginKeyValueStore;
  inboxes: InboxDirectory | null;
  maxMessageBytes: number;
  maxSessions: number;
  maxSessionsPerClient: number;
  spoolDir: string;
  spoolIsTemporary: boolean;
  templatesDir: string | undefined;
}

/**
 * What the host may offer beyond today's interface (proposed: `inboxes`, which inbox takes an
 * address). Used when present.
 */
interface ProposedHostExtensions {
  inboxes?: InboxDirectory;
}

function resolveSettings(options: EmailPluginOptions, connection: ChannelHostConnection): Settings {
  const { config } = connection;
  // Asked with `in`: reading a property the interface does not have is a contract violation.
  const offered = connection as ChannelHostConnection & ProposedHostExtensions;
  const offeredInboxes = 'inboxes' in connection ? offered.inboxes : undefined;
  const storageDir = options.storageDir ?? config.get('STORAGE_DIR');
  const storage = options.storage ?? (storageDir ? new FileKeyValueStore(storageDir) : undefined);
  if (!storage) {
    throw new Error(
      `the email channel keeps original messages and attachments on disk: set ${config.variableName('STORAGE_DIR')} (Parley sets it under PARLEY_DATA_DIR)`,
    );
  }
  return {
    smtpPort: options.smtpPort ?? port(config.get('SMTP_PORT'), config.variableName('SMTP_PORT')) ?? 2525,
    smtpHost: options.smtpHost ?? config.get('SMTP_HOST') ?? '0.0.0.0',
    relayUrl: (options.relayUrl === undefined ? config.get('RELAY_URL') : options.relayUrl) || null,
    inboxEmail: options.inboxEmail ?? config.get('INBOX_EMAIL'),
    storage,
    inboxes: options.inboxes ?? offeredInboxes ?? null,
    maxMessageBytes:
      options.maxMessageBytes ?? positiveInteger(config.get('MAX_MESSAGE_BYTES'), config.variableName('MAX_MESSAGE_BYTES')) ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxSessions: options.maxSessions ?? count(config.get('MAX_SESSIONS'), config.variableName('MAX_SESSIONS')) ?? DEFAULT_MAX_SESSIONS,
    maxSessionsPerClient:
      options.maxSessionsPerClient ??
      count(config.get('MAX_SESSIONS_PER_CLIENT'), config.variableName('MAX_SESSIONS_PER_CLIENT')) ??
      DEFAULT_MAX_SESSIONS_PER_CLIENT,
    // Beside the stored emails when they are on disk: the data folder's disk, owner-only like them.
    // Otherwise a private folder of its own in the temporary folder, made when the listener starts.
    spoolDir: options.spoolDir ?? (storageDir ? join(storageDir, 'spool') : join(tmpdir(), `parley-email-spool-${randomBytes(8).toString('hex')}`)),
    spoolIsTemporary: options.spoolDir === undefined && !storageDir,
    templatesDir: options.templatesDir ?? config.get('TEMPLATES_DIR'),
  };
}

function port(value: string | undefined, variable: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${variable} must be a port number 0-65535 (got ${JSON.stringify(value)})`);
  return n;
}

function count(value: string | undefined, variable: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`${variable} must be a whole number from 1 to 10000 (got ${JSON.stringify(value)})`);
  return n;
}

function domainOf(address: string | undefined): string | undefined {
  const at = address?.lastIndexOf('@') ?? -1;
  return address && at >= 0 ? address.slice(at + 1) : undefined;
}

function positiveInteger(value: string | undefined, variable: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024) throw new Error(`${variable} must be a whole number of bytes, at least 1024 (got ${JSON.stringify(value)})`);
  return n;
}

/** Where the default storage lives under Parley's data folder. */
export const emailStorageDir = (dataDir: string) => join(dataDir, 'plugins', 'email');

/** SMTP sessions as Prometheus sees them: parley_plugin_email_smtp_sessions_total and _open. */
function smtpSessionMetrics(connection: ChannelHostConnection): { opened(): void; closed(): void } {
  const started = connection.metrics.counter('smtp_sessions_total', 'SMTP sessions that were greeted (the 421 surplus is not counted).');
  const open = connection.metrics.gauge('smtp_sessions_open', 'SMTP sessions open now.');
  return {
    opened: () => {
      started.inc();
      open.inc();
    },
    closed: () => open.dec(),
  };
}
