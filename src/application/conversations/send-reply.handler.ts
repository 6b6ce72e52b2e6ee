import { Command, CommandBus, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ReplyTemplate } from '../../domain/conversation/conversation.events';
import { normalizeAddress } from '../../domain/shared/address';
import type { Channel, Party } from '../../domain/shared/types';
import { InvalidRequestError } from '../access/inbox-access';
import { agentContext, type AuthenticatedAgent } from '../command-handling/command-context';
import { CHANNEL_CATALOG, type ChannelCatalog, type ChannelMessageTemplate } from '../ports/channel-catalog.port';
import { CLOCK, type Clock } from '../ports/clock.port';
import { EVENT_STORE, type EventStore } from '../ports/event-store.port';
import type { ConversationDetail } from '../ports/read-store.port';
import { GetConversationQuery } from '../queries/inbox-queries.handler';
import { streams } from '../streams';
import { ChangeConversation } from './change-conversation.handler';
import type { ConversationCommandResult } from './conversation-result';
import { ReplyAttachments } from './reply-attachments';

/**
 * What happens to replies already sent (the channel took one; the contact's phone got it, read it)
 * does not change what the agent answers: a reply written before such receipts arrived is not
 * stale. Anything else recorded since the revision the agent saw still is (409, look first).
 */
const RECEIPT_EVENTS: ReadonlySet<string> = new Set(['ReplyDelivered', 'ReplyStatusReported']);

/** The most characters one parameter of a template may have. */
export const TEMPLATE_PARAMETER_MAX_LENGTH = 1000;

/** An agent's reply, from the API or the reply box: one way in for both. */
export interface SendReply {
  agent: AuthenticatedAgent;
  conversationId: string;
  /** Optional with a template (its filled body is the text); required otherwise. */
  text?: string;
  html?: string;
  /** Another channel than the conversation's own (rule 12: email); absent: the default reply channel. */
  channel?: Channel;
  attachmentIds?: string[];
  /** One of the channel's approved templates (ChannelCatalog.templatesOf) with its parameters. */
  template?: ReplyTemplate;
  /** The revision the agent was looking at (If-Match): 409 when the conversation changed meanwhile. */
  expectedRevision?: number;
  /**
   * Email addresses the reply goes to instead of the contact alone, and those it copies
   * (reply-all): only on a channel with the `cc` capability. A participant's name goes with its address.
   */
  to?: string[];
  cc?: string[];
}

export interface SendReplyResult extends ConversationCommandResult {
  messageId: string;
}

/**
 * Sends an agent's reply: its files (ReplyAttachments), the channel's reply window and templates,
 * then QueueReply through ChangeConversation, as every conversation change goes. Refusals come
 * before anything is recorded.
 */
export class SendReplyCommand extends Command<SendReplyResult> {
  constructor(readonly reply: SendReply) {
    super();
  }
}

/**
 * The channel's provider does not let a free-form reply out now (Meta's 24-hour window): 409 with
 * the code `reply-window-closed` and the plugin's reason in the reader's language (`reasons.en`
 * always, the words the message carries).
 */
export class ReplyWindowClosedError extends Error {
  readonly code = 'reply-window-closed';

  constructor(
    readonly reasons: { en: string } & Record<string, string>,
    readonly closedAt: string,
  ) {
    super(reasons.en);
    this.name = 'ReplyWindowClosedError';
  }

  /** The reason in `language`, else in English. */
  reasonIn(language: string): string {
    return Object.hasOwn(this.reasons, language) ? this.reasons[language] : this.reasons.en;
  }
}

/**
 * The channel a reply goes out on when the agent names none: the conversation's own, unless its
 * channel cannot answer by itself and answers by email instead (a support form, rule 12).
 */
export function defaultReplyChannel(catalog: ChannelCatalog, channel: Channel): Channel {
  const capabilities = catalog.capabilitiesOf(channel);
  return capabilities && !capabilities.reply && capabilities.switchToEmail ? 'email' : channel;
}

/** `Hello {{1}}` with the parameters in place, as the contact reads it. */
export function fillTemplateBody(body: string, parameters: readonly string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => parameters[Number(n) - 1] ?? whole);
}

@CommandHandler(SendReplyCommand)
export class SendReplyHandler implements ICommandHandler<SendReplyCommand> {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly attachments: ReplyAttachments,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ reply }: SendReplyCommand): Promise<SendReplyResult> {
    const { agent, conversationId } = reply;
    // Out of reach answers as unknown (404), before anything else is looked at.
    const conversation = await this.queryBus.execute(new GetConversationQuery(agent, conversationId));
    const channel = reply.channel ?? defaultReplyChannel(this.catalog, conversation.channel);
    // A channel that only takes messages in (a support form) never sends: refuse before anything is recorded.
    if (this.catalog.capabilitiesOf(channel)?.reply === false) {
      throw new InvalidRequestError(`channel: the ${channel} channel cannot send replies; answer on another channel, such as email`);
    }
    const recipients = this.recipientsOf(conversation, channel, reply);
    const template = reply.template ? await this.templateReply(conversation, channel, reply) : null;
    const attachments = await this.attachments.forReply(agent, conversationId, channel, reply.attachmentIds);
    if (!template) await this.requireOpenWindow(conversation, channel);
    const expectedRevision = await this.revisionToExpect(conversationId, reply.expectedRevision);

    const messageId = randomUUID();
    const result = await this.commandBus.execute(
      new ChangeConversation(
        conversationId,
        (now) => ({
          type: 'QueueReply',
          data: {
            messageId,
            authorId: agent.id,
            text: template ? template.text : (reply.text ?? ''),
            ...(template || reply.html === undefined ? {} : { html: reply.html }),
            // The conversation's own channel stays implicit, as it always was.
            ...(channel === conversation.channel ? {} : { channel }),
            ...(attachments.length ? { attachments } : {}),
            ...(template ? { template: template.template } : {}),
            ...recipients,
            now,
          },
        }),
        agentContext(agent, { expectedRevision }),
      ),
    );
    return { ...result, messageId };
  }

  /**
   * The revision the reply is checked against: the one the agent saw, moved past receipts of earlier
   * replies recorded since (RECEIPT_EVENTS). Anything recorded after this read still makes it stale.
   */
  private async revisionToExpect(conversationId: string, seen: number | undefined): Promise<number | undefined> {
    if (seen === undefined || seen < 0) return seen;
    const since = await this.store.readStream(streams.conversation(conversationId), { fromRevision: seen + 1 });
    return since.length > 0 && since.every((event) => RECEIPT_EVENTS.has(event.type)) ? since[since.length - 1]!.revision : seen;
  }

  /**
   * To and Cc named by the agent, as parties with the names the thread knows them by; refused on a
   * channel without the `cc` capability (the decider checks the addresses themselves).
   */
  private recipientsOf(conversation: ConversationDetail, channel: Channel, reply: SendReply): { to?: Party[]; cc?: Party[] } {
    if (reply.to === undefined && reply.cc === undefined) return {};
    if (!this.catalog.capabilitiesOf(channel)?.cc) {
      throw new InvalidRequestError(`cc: the ${channel} channel does not take To or Cc; leave to and cc out to answer the contact`);
    }
    const named = (address: unknown): Party => {
      if (typeof address !== 'string') return { address: address as string };
      const known = conversation.participants.find((p) => normalizeAddress(p.address) === normalizeAddress(address));
      return known?.name ? { address, name: known.name } : { address };
    };
    return {
      ...(reply.to === undefined ? {} : { to: reply.to.map(named) }),
      ...(reply.cc === undefined ? {} : { cc: reply.cc.map(named) }),
    };
  }

  /** A free-form reply on the conversation's own channel needs its window open (when the channel has one). */
  private async requireOpenWindow(conversation: ConversationDetail, channel: Channel): Promise<void> {
    if (channel !== conversation.channel) return;
    const window = await this.catalog.replyWindowOf(conversation.id, channel, this.clock.now());
    if (window && !window.open) throw new ReplyWindowClosedError(window.reason, window.closedAt);
  }

  /** The template checked against the channel's approved ones, and its body filled in. */
  private async templateReply(conversation: ConversationDetail, channel: Channel, reply: SendReply): Promise<{ template: ReplyTemplate; text: string }> {
    const wanted = reply.template!;
    if (!this.catalog.capabilitiesOf(channel)?.templates) {
      throw new InvalidRequestError(`template: the ${channel} channel does not send templates; write the reply instead`);
    }
    if ((reply.text !== undefined && reply.text !== '') || reply.html !== undefined) {
      throw new InvalidRequestError("text: leave text and html out when sending a template; the template's body with its parameters is the text");
    }
    if (reply.attachmentIds?.length) throw new InvalidRequestError('attachmentIds: a template reply takes no files; send them in a reply of their own');
    const approved = channel === conversation.channel ? await this.catalog.templatesOf(conversation.id, channel) : [];
    const named = approved.filter((t) => t.name === wanted.name);
    if (named.length === 0) {
      throw new InvalidRequestError(
        `template.name: ${JSON.stringify(wanted.name)} is not an approved template of this conversation's channel; use one of ${known(approved.map((t) => t.name))}`,
      );
    }
    const found: ChannelMessageTemplate | undefined = named.find((t) => t.language === wanted.language);
    if (!found) {
      throw new InvalidRequestError(
        `template.language: template "${wanted.name}" is not approved in ${JSON.stringify(wanted.language)}; use one of ${known(named.map((t) => t.language))}`,
      );
    }
    const parameters = wanted.parameters.map((p) => p.trim());
    if (parameters.length !== found.parameterCount) {
      throw new InvalidRequestError(`template.parameters: template "${found.name}" takes ${found.parameterCount} parameters (got ${parameters.length})`);
    }
    parameters.forEach((value, i) => {
      if (value === '') throw new InvalidRequestError(`template.parameters[${i}]: must not be empty`);
      if (value.length > TEMPLATE_PARAMETER_MAX_LENGTH) {
        throw new InvalidRequestError(`template.parameters[${i}]: must be at most ${TEMPLATE_PARAMETER_MAX_LENGTH} characters (got ${value.length})`);
      }
      // Meta refuses a parameter with a line break, a tab or more than four spaces in a row.
      if (/[\n\r\t]| {5,}/.test(value)) {
        throw new InvalidRequestError(`template.parameters[${i}]: must be one line, without tabs or more than four spaces in a row`);
      }
    });
    return { template: { name: found.name, language: found.language, parameters }, text: fillTemplateBody(found.body, parameters) };
  }
}

function known(values: readonly string[]): string {
  const distinct = [...new Set(values)];
  return distinct.length ? distinct.map((v) => JSON.stringify(v)).join(', ') : '(none approved)';
}
