import type { AttachmentRef, InboundMessage, IngestResult, PluginLogger } from '../../channel-plugin';
import { SmtpReply, type SmtpEnvelope, type SpooledMessage } from '../smtp/smtp-listener';
import type { BlobReferences, HeldBlob } from '../storage/blob-references';
import type { BlobStore } from '../storage/raw-message-store';
import type { ContinuedConversations } from '../outbound/continued-conversations';
import { resolveThread } from '../threading/resolve-thread';
import { normaliseSubject } from '../threading/subject';
import type { ThreadIndex } from '../threading/thread-index';
import {
  DEFAULT_PARSE_LIMITS,
  hasReadableContent,
  parseEmailFile,
  UnreadableEmailError,
  type EmailParty,
  type ParseLimits,
  type ParsedEmail,
} from './parse-email';

/**
 * Which inbox takes mail for an address. Not in the plugin interface yet (proposed as
 * `connection.inboxes`); without one, all mail goes to the default inbox.
 */
export interface InboxDirectory {
  /** The inbox whose email address this is (case-insensitive), or null when no inbox claims it. */
  findByEmailAddress(address: string): Promise<{ id: string } | null>;
}

export interface EmailReceiverDeps {
  ingest(message: InboundMessage): Promise<IngestResult>;
  inboxes: InboxDirectory | null;
  blobs: BlobStore;
  /** Which conversations hold which blobs (access to a blob, and deleting it with the last of them). */
  references: BlobReferences;
  index: ThreadIndex;
  clock: () => Date;
  logger: PluginLogger;
  limits?: ParseLimits;
  /** Threads that carry another channel's conversation (a chat answered by email, rule 12). */
  continued?: ContinuedConversations | null;
}

/** The attachment entry that points at a message's original bytes (kept for auditors). */
export const ORIGINAL_FILENAME = 'original.eml';

/**
 * From an SMTP transaction to the core: parse, keep the original, find the inbox and the thread,
 * ingest. Answers the text of the 250 reply, or throws SmtpReply (5xx: never retry this message;
 * 4xx: try again later). A message addressed to several inboxes is stored once in each.
 */
export class EmailReceiver {
  private threading: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: EmailReceiverDeps) {}

  /**
   * Every recipient is taken (docs/email.md: the default inbox takes mail for any address no inbox
   * claims); the server only receives, it never relays, so this opens nothing to spammers that
   * the Spam view does not already catch. A failing directory defers the recipient (451).
   */
  async checkRecipient(address: string): Promise<void> {
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) throw new SmtpReply(553, `5.1.3 ${JSON.stringify(address)} is not an email address`);
    try {
      await this.inboxFor(address);
    } catch (error) {
      this.deps.logger.error({ err: error, recipient: address }, 'inbox lookup failed');
      throw new SmtpReply(451, '4.3.0 Cannot look up the recipient right now, try again later');
    }
  }

  async receive(message: SpooledMessage, envelope: SmtpEnvelope): Promise<string> {
    const email = await this.parse(message);
    const sender: EmailParty | null = email.from ?? (envelope.mailFrom ? { address: envelope.mailFrom } : null);
    if (!sender) throw new SmtpReply(550, '5.1.7 The message has no sender: it has no From: header and was sent with an empty MAIL FROM');
    if (!hasReadableContent(email)) throw new SmtpReply(554, '5.6.0 The message has no subject, no text and no attachment: nothing to store');

    const own = await this.deps.index.message(email.messageId);
    if (own?.direction === 'out') {
      // One of our own emails coming back (Bcc to the inbox, a mailing list): it is in the thread already.
      this.deps.logger.info({ emailMessageId: email.messageId }, 'our own email came back; not stored as a message from the contact');
      return `2.0.0 Ok: ${email.messageId} is Parley's own message`;
    }

    // The original first, durably: nothing is acknowledged that an auditor could not see later.
    const { blobs } = this.deps;
    const original = await blobs.putFile(message.file);
    const attachments: AttachmentRef[] = [];
    const held: HeldBlob[] = [];
    for (const attachment of email.attachments) {
      const { body } = attachment;
      const store = () => ('bytes' in body ? blobs.put(body.bytes) : blobs.putFile(body.file));
      const id = await store();
      attachments.push({ id, filename: attachment.filename, contentType: attachment.contentType, size: attachment.size });
      held.push({ id, store });
    }
    attachments.push({ id: original, filename: ORIGINAL_FILENAME, contentType: 'message/rfc822', size: message.size });
    held.push({ id: original, store: () => blobs.putFile(message.file) });

    const inboxIds = await this.inboxesFor(envelope.rcptTo);
    const receivedAt = this.deps.clock();
    const root = await this.thread(email, sender, receivedAt);
    const continued = (await this.deps.continued?.conversationOf(root)) ?? null;
    const results: IngestResult[] = [];
    for (const inboxId of inboxIds) {
      const result = await this.ingest(email, sender, root, inboxId, attachments, envelope, receivedAt, continued?.conversationId);
      // Before the 250: a crash in between makes the sender retry, and the duplicate records it then.
      await this.deps.references.hold(result.conversationId, held);
      results.push(result);
    }
    const stored = results.filter((r) => !r.duplicate).length;
    this.deps.logger.info(
      {
        emailMessageId: email.messageId,
        externalThreadId: root,
        conversationIds: results.map((r) => r.conversationId),
        duplicates: results.length - stored,
        original,
      },
      stored > 0 ? 'email received' : 'email received again: already stored',
    );
    return `2.0.0 Ok: ${stored > 0 ? 'stored' : 'already stored'} as ${email.messageId}`;
  }

  private async parse(message: SpooledMessage): Promise<ParsedEmail> {
    try {
      return await parseEmailFile(message.file, message.scratchDir, this.deps.limits ?? DEFAULT_PARSE_LIMITS);
    } catch (error) {
      if (error instanceof UnreadableEmailError) {
        throw new SmtpReply(error.responseCode, `${error.responseCode === 552 ? '5.3.4' : '5.6.0'} ${error.message}`);
      }
      throw error;
    }
  }

  /** One entry per distinct inbox; `undefined` is the default inbox. */
  private async inboxesFor(recipients: string[]): Promise<Array<string | undefined>> {
    const ids = new Set<string | undefined>();
    for (const recipient of recipients) ids.add(await this.inboxFor(recipient));
    if (ids.size === 0) ids.add(undefined);
    return [...ids];
  }

  private async inboxFor(address: string): Promise<string | undefined> {
    if (!this.deps.inboxes) return undefined;
    return (await this.deps.inboxes.findByEmailAddress(address.trim().toLowerCase()))?.id ?? undefined;
  }

  /**
   * Finds the thread and records the message in the index, one message at a time (so a reply
   * that arrives together with its parent sees it). Recorded before ingesting: a retry after a
   * crash in between finds the same thread again.
   */
  private thread(email: ParsedEmail, sender: EmailParty, receivedAt: Date): Promise<string> {
    const work = this.threading.then(async () => {
      const { index } = this.deps;
      const { root } = await resolveThread(index, {
        messageId: email.messageId,
        inReplyTo: email.inReplyTo,
        references: email.references,
        reportedMessageId: email.reportedMessageId,
        subject: email.subject,
        sender: sender.address,
        receivedAt,
      });
      await index.record({
        messageId: email.messageId,
        root,
        direction: 'in',
        at: receivedAt.toISOString(),
        counterpart: sender.address,
        subject: normaliseSubject(email.subject).subject,
        from: sender,
        excerpt: email.text,
      });
      return root;
    });
    this.threading = work.catch(() => undefined);
    return work;
  }

  private async ingest(
    email: ParsedEmail,
    sender: EmailParty,
    root: string,
    inboxId: string | undefined,
    attachments: AttachmentRef[],
    envelope: SmtpEnvelope,
    receivedAt: Date,
    continuesConversationId?: string,
  ): Promise<IngestResult> {
    // To and Cc as the headers say (Cc'd people take part in the thread); a message with neither
    // header (only Bcc'd, or sent by a script) is addressed to whom the envelope says.
    const headerRecipients = [...email.to, ...email.cc];
    const message: InboundMessage = {
      channel: 'email',
      ...(inboxId ? { inboxId } : {}),
      externalThreadId: root,
      externalMessageId: email.messageId,
      from: sender,
      to: headerRecipients.length > 0 ? email.to : envelope.rcptTo.map((address) => ({ address })),
      ...(email.cc.length > 0 ? { cc: email.cc } : {}),
      subject: email.subject,
      text: email.text,
      ...(email.html === undefined ? {} : { html: email.html }),
      attachments,
      receivedAt: receivedAt.toISOString(),
    };
    if (continuesConversationId) {
      try {
        return await this.deps.ingest({ ...message, continuesConversationId });
      } catch (error) {
        // The conversation was deleted forever, or belongs to another inbox the mail was also
        // addressed to: the email is still the contact's, so it starts (or joins) an email thread.
        if ((error as { statusCode?: unknown })?.statusCode !== 400) throw error;
        this.deps.logger.info(
          { emailMessageId: email.messageId, conversationId: continuesConversationId, reason: (error as Error).message },
          'email answers a reply of another channel but cannot continue that conversation; ingested as an email thread',
        );
      }
    }
    try {
      return await this.deps.ingest(message);
    } catch (error) {
      // The core refused the message itself (not a passing trouble): the sender must not retry it.
      const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
      if (statusCode === 400 || code === 'invalid-input') throw new SmtpReply(550, `5.6.0 The message was refused: ${(error as Error).message}`);
      throw error;
    }
  }
}
