import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import { GetReplyOptionsQuery, type ReplyOptions } from '../../application/conversations/reply-options.handler';
import type { ChannelCapabilitySet } from '../../application/ports/channel-catalog.port';
import type { ConversationDetail } from '../../application/ports/read-store.port';
import { replyAllRecipients } from '../../domain/conversation/participants';
import { isEmailAddress } from '../../domain/shared/address';
import type { Locale } from '../i18n/i18n';
import { channelLabel } from './inbox-screen';

/** One approved template as the picker shows it: its body, one input per parameter, a key for the live preview. */
export interface TemplateChoice {
  key: string;
  name: string;
  language: string;
  category: string;
  body: string;
  /** The body with `[1]`… in place of `{{1}}`…, for the preview before anything is typed. */
  preview: string;
  parameters: { index: number; number: number; label: string }[];
}

export interface ReplyBoxView {
  /** Channels to pick from (the conversation's own first, email for rule 12); shown as a select when there are two. */
  channels: { value: string; label: string }[];
  /** The one channel a reply goes out on when it is not the conversation's own (a form's email), posted as a hidden field. */
  fixedChannel: { value: string; label: string } | null;
  /** The channel's window, when it has one: open with its end, or closed with the plugin's reason. */
  window: { open: boolean; text: string } | null;
  /** The free-text reply is offered (false when the window is closed and nothing else can carry a free-form reply). */
  freeText: boolean;
  templates: TemplateChoice[];
  /**
   * To and Cc of the reply, where the conversation's channel declares `cc` (email): To is the
   * contact; Cc starts empty (Reply) and reply-all fills it with the other participants. Null elsewhere.
   */
  recipients: ReplyRecipients | null;
}

export interface ReplyRecipients {
  to: string;
  /** Reply all's Cc, comma separated; empty when nobody else took part (then Reply all is not offered). */
  replyAllCc: string;
  /** The same people, named, for the toggle's title. */
  replyAllNames: string;
}

/** Who never gets reply-all's copy: the inbox's own address and its agents. */
export interface ReplyAllExclusions {
  inboxAddress: string | null;
  agentAddresses: readonly string[];
}

/**
 * The reply box's choices for one conversation, from GetReplyOptionsQuery (as the API's
 * reply-options): the default reply channel, the window and the templates. Driven by what the
 * channels declare, never by their names.
 */
@Injectable()
export class ReplyBox {
  constructor(private readonly queryBus: QueryBus) {}

  async view(
    agent: AuthenticatedAgent,
    conversation: ConversationDetail,
    actions: { switchToEmail: boolean },
    capabilities: ChannelCapabilitySet | null,
    locale: Locale,
    exclusions: ReplyAllExclusions = { inboxAddress: null, agentAddresses: [] },
  ): Promise<ReplyBoxView> {
    let options: ReplyOptions;
    try {
      options = await this.queryBus.execute(new GetReplyOptionsQuery(agent, conversation.id));
    } catch {
      // A plugin failing to answer (its templates unreachable) must not take the thread down: the
      // box offers the plain reply, and sending still asks the channel (and refuses what it must).
      options = { channel: conversation.channel, window: { open: true, closesAt: null }, templates: [] };
    }
    return { ...replyBoxView(conversation.channel, options, actions, capabilities, locale), recipients: recipientsOf(conversation, capabilities, exclusions) };
  }
}

/**
 * The reply's To and reply-all's Cc (replyAllRecipients): offered by capability, never by channel
 * name, and only while the contact has an email address to answer.
 */
export function recipientsOf(
  conversation: ConversationDetail,
  capabilities: ChannelCapabilitySet | null,
  exclusions: ReplyAllExclusions,
): ReplyRecipients | null {
  const contact = conversation.contact;
  if (!capabilities?.cc || !contact || !isEmailAddress(contact.address)) return null;
  const excluded = [...(exclusions.inboxAddress ? [exclusions.inboxAddress] : []), ...exclusions.agentAddresses];
  const { cc } = replyAllRecipients({ address: contact.address }, conversation.participants, excluded);
  return {
    to: contact.name ? `${contact.name} <${contact.address}>` : contact.address,
    replyAllCc: cc.map((p) => p.address).join(', '),
    replyAllNames: cc.map((p) => (p.name ? `${p.name} <${p.address}>` : p.address)).join(', '),
  };
}

export function replyBoxView(
  own: string,
  options: ReplyOptions,
  actions: { switchToEmail: boolean },
  capabilities: ChannelCapabilitySet | null,
  locale: Locale,
): ReplyBoxView {
  const option = (value: string) => ({ value, label: channelLabel(value, locale) });
  const ownReplies = capabilities?.reply ?? true;
  const closed = !options.window.open;
  // The own channel carries a free-form reply unless it cannot reply at all or its window is closed.
  const ownFree = ownReplies && !closed;
  const channels = [...(ownFree ? [option(own)] : []), ...(actions.switchToEmail || options.channel === 'email' ? [option('email')] : [])];
  const distinct = channels.filter((c, i) => channels.findIndex((o) => o.value === c.value) === i);
  const window = options.window.open
    ? options.window.closesAt
      ? { open: true, text: locale.t('composer.windowOpen', { time: locale.formatDate(options.window.closesAt, 'long') }) }
      : null
    : {
        open: false,
        text: locale.t('composer.windowClosed', {
          time: locale.formatDate(options.window.closedAt, 'long'),
          reason: Object.hasOwn(options.window.reasons, locale.language) ? options.window.reasons[locale.language] : options.window.reasons.en,
        }),
      };
  return {
    recipients: null,
    channels: distinct.length > 1 ? distinct : [],
    fixedChannel: distinct.length === 1 && distinct[0].value !== own ? distinct[0] : null,
    window,
    freeText: distinct.length > 0 || (!closed && !ownReplies && options.channel === own),
    templates: options.templates.map((t, i) => ({
      key: `t${i}`,
      name: t.name,
      language: t.language,
      category: t.category,
      body: t.body,
      preview: t.body.replace(/\{\{\s*(\d+)\s*\}\}/g, '[$1]'),
      parameters: Array.from({ length: t.parameterCount }, (_, index) => ({
        index,
        number: index + 1,
        label: locale.t('composer.templateParameter', { number: index + 1 }),
      })),
    })),
  };
}
