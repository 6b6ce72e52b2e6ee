import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { InvalidRequestError, NotFoundError } from '../access/inbox-access';
import { ATTACHMENT_STORE, MAX_ATTACHMENTS_PER_REPLY, type AttachmentStore } from '../ports/attachment-store.port';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import { GetConversationQuery } from '../queries/inbox-queries.handler';
import type { AttachmentRef, Channel } from '../../domain/shared/types';

/**
 * Files for agents' replies (issue 12): uploaded one at a time to a conversation the agent can
 * read, on a channel whose plugin declares `attachments`, then named by id in the reply.
 */
@Injectable()
export class ReplyAttachments {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(ATTACHMENT_STORE) private readonly store: AttachmentStore,
    @Inject(CHANNEL_CATALOG) private readonly channels: ChannelCatalog,
  ) {}

  /**
   * Keeps an uploaded file for a reply in the conversation. The conversation is checked first: one
   * out of reach answers as unknown (404) whatever else is wrong with the upload.
   */
  async upload(
    agent: AuthenticatedAgent,
    conversationId: string,
    file: { filename: string | null; rawFilename: string | undefined; contentType: string; content: unknown },
  ): Promise<AttachmentRef> {
    const conversation = await this.queryBus.execute(new GetConversationQuery(agent, conversationId));
    this.requireAttachments(conversation.channel);
    if (!file.filename) throw new InvalidRequestError(`filename: name the file in ?filename= (got ${JSON.stringify(file.rawFilename ?? null)})`);
    if (!Buffer.isBuffer(file.content)) throw new InvalidRequestError("body: send the file's bytes as the request body, with the file's Content-Type");
    if (file.content.length === 0) throw new InvalidRequestError('body: the file is empty; send its bytes as the request body');
    return this.store.put({ conversationId, filename: file.filename, contentType: file.contentType, content: file.content, uploadedBy: agent.id });
  }

  /** The file and its bytes, for an agent who can read the conversation. */
  async download(agent: AuthenticatedAgent, conversationId: string, attachmentId: string): Promise<{ ref: AttachmentRef; content: Buffer }> {
    await this.queryBus.execute(new GetConversationQuery(agent, conversationId));
    const found = await this.store.get(conversationId, attachmentId);
    if (!found) throw new NotFoundError(`attachment ${attachmentId} not found in conversation ${conversationId}`);
    return found;
  }

  /**
   * The refs of the files a reply names, in order: each must have been uploaded to this very
   * conversation, and the reply's channel must take attachments (400 naming the id or channel).
   */
  async forReply(
    agent: AuthenticatedAgent,
    conversationId: string,
    channel: Channel | undefined,
    ids: readonly string[] | undefined,
  ): Promise<AttachmentRef[]> {
    if (!ids || ids.length === 0) return [];
    this.requireAttachments(channel ?? (await this.queryBus.execute(new GetConversationQuery(agent, conversationId))).channel);
    if (ids.length > MAX_ATTACHMENTS_PER_REPLY) {
      throw new InvalidRequestError(`attachmentIds: at most ${MAX_ATTACHMENTS_PER_REPLY} files per reply (got ${ids.length})`);
    }
    const refs: AttachmentRef[] = [];
    for (const id of new Set(ids.map((i) => i.toLowerCase()))) {
      const found = await this.store.get(conversationId, id);
      if (!found) throw new InvalidRequestError(`attachmentIds: ${id} is not a file uploaded to this conversation; upload it first`);
      refs.push(found.ref);
    }
    return refs;
  }

  private requireAttachments(channel: Channel): void {
    if (!this.channels.capabilitiesOf(channel)?.attachments) {
      throw new InvalidRequestError(`attachments: the ${channel} channel does not send attachments; reply without files`);
    }
  }
}
