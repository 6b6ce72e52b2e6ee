import { isEmailAddress, isRoleAddress, normalizeAddress } from '../shared/address';
import type { Decider } from '../shared/decider';
import { conflict, invalidInput, invalidTransition, notFound } from '../shared/domain-error';
import { BOT_INACTIVITY_CLOSE_MS, TRASH_RETENTION_MS, sameAssignee, type Channel, type Party } from '../shared/types';
import type {
  AddComment,
  AssignConversation,
  AutoAssignConversation,
  CloseConversation,
  ConversationCommand,
  CreateTicket,
  DeleteConversation,
  ForwardConversation,
  QueueReply,
  ReceiveInboundMessage,
  ReceiveReaction,
  RecordReplyDelivered,
  RecordReplyFailed,
  RecordReplyStatus,
  SendTranscript,
  StartOutboundConversation,
} from './conversation.commands';
import type { ContactRef, ConversationEvent, ConversationFiltered, MessageReceived } from './conversation.events';
import { evolveConversation, initialConversationState, isActive, RECEIPT_RANK, type ActiveConversation, type ConversationState } from './conversation.state';
import { checkedRecipients } from './participants';

export type {
  ActiveConversation,
  ClosedConversation,
  ConversationDetails,
  ConversationState,
  DeletedConversation,
  LinkedTicket,
  NoConversation,
  OpenConversation,
  ReplyStatus,
} from './conversation.state';
export { isActive } from './conversation.state';

export const TICKET_NAME_MAX_LENGTH = 200;
export const FORWARD_NOTE_MAX_LENGTH = 10_000;

/**
 * Channels whose conversations may be answered by email instead (rule 12): chat and Messenger, and
 * support forms, which have no way back of their own (the form's email field is the contact).
 */
const EMAIL_SWITCH_FROM: readonly Channel[] = ['chat', 'messenger', 'forms'];

export function decideConversation(command: ConversationCommand, state: ConversationState): ConversationEvent[] {
  if (command.type === 'ReceiveInboundMessage') return receiveInboundMessage(command.data, state);
  if (command.type === 'StartOutboundConversation') return startOutboundConversation(command.data, state);

  const conversation = existing(state);
  switch (command.type) {
    case 'AssignConversation':
      return assign(command.data, conversation);
    case 'UnassignRemovedAgent': {
      const { assignee } = conversation;
      if (assignee?.type !== 'agent' || assignee.id !== command.data.agentId) return [];
      return [{ type: 'ConversationUnassigned', data: { previous: assignee, reason: 'agent-removed' } }];
    }
    case 'CloseConversation':
      return close(command.data, conversation);
    case 'ReopenConversation': {
      const now = parseTime(command.data.now, 'now');
      refuseInTrash(conversation, 'reopen it');
      if (conversation.status === 'open') throw invalidTransition('conversation-already-open', 'conversation is already open');
      return [{ type: 'ConversationReopened', data: { reason: 'agent', reopenedAt: isoOf(now) } }];
    }
    case 'AddComment':
      return addComment(command.data, conversation);
    case 'QueueReply':
      return queueReply(command.data, conversation);
    case 'ForwardConversation':
      return forward(command.data, conversation);
    case 'SendTranscript':
      return sendTranscript(command.data, conversation);
    case 'RecordReplyDelivered':
      return recordReplyDelivered(command.data, conversation);
    case 'RecordReplyFailed':
      return recordReplyFailed(command.data, conversation);
    case 'MarkAsSpam':
      refuseInTrash(conversation, 'mark it as spam');
      if (conversation.spam) throw invalidTransition('conversation-already-spam', 'conversation is already marked as spam');
      return [{ type: 'ConversationMarkedAsSpam', data: { reason: 'agent' } }];
    case 'MarkAsNotSpam':
      if (!conversation.spam) throw invalidTransition('conversation-not-spam', 'conversation is not marked as spam, so it cannot be marked as not spam');
      return [{ type: 'ConversationMarkedAsNotSpam', data: {} }];
    case 'BlockSender': {
      refuseInTrash(conversation, 'block its sender');
      if (conversation.filtered) {
        throw invalidTransition('sender-already-blocked', 'the sender {{address}} is already blocked; this conversation is in Filtered', {
          address: conversation.filtered.address,
        });
      }
      const events: ConversationEvent[] = [];
      if (conversation.ticket) {
        events.push({ type: 'TicketDeleted', data: { ticketId: conversation.ticket.id, reason: 'sender-blocked' } });
      }
      events.push(filteredEvent(conversation.senderAddress));
      return events;
    }
    case 'UnfilterConversation': {
      const { filtered } = conversation;
      // Only the block that filtered this conversation lifts it; another address's unblock leaves it alone.
      if (!filtered || filtered.address !== normalizeAddress(command.data.address)) return [];
      return [{ type: 'ConversationUnfiltered', data: { address: filtered.address } }];
    }
    case 'TrashConversation': {
      const now = parseTime(command.data.now, 'now');
      if (conversation.trashed) throw invalidTransition('conversation-already-trashed', 'conversation is already in Trash');
      return [{ type: 'ConversationTrashed', data: { trashedAt: isoOf(now), purgeAfter: isoOf(now + TRASH_RETENTION_MS) } }];
    }
    case 'RestoreConversation':
      if (!conversation.trashed) throw invalidTransition('conversation-not-trashed', 'conversation is not in Trash, so there is nothing to restore');
      return [{ type: 'ConversationRestored', data: { reason: 'agent' } }];
    case 'DeleteConversation':
      return deleteForever(command.data, conversation);
    case 'CreateTicket':
      return createTicket(command.data, conversation);
    case 'UnlinkContact':
      if (!conversation.contact) throw invalidTransition('contact-missing-unlink', 'the conversation has no contact to unlink');
      return [{ type: 'ContactUnlinked', data: { contactId: conversation.contact.id } }];
    case 'LinkContact': {
      requireText(command.data.contactId, 'contactId');
      if (conversation.contact?.id === command.data.contactId) return [];
      refuseInTrash(conversation, 'link a contact');
      const name = typeof command.data.name === 'string' && command.data.name.trim() !== '' ? command.data.name.trim() : undefined;
      return [{ type: 'ContactLinked', data: { contactId: command.data.contactId, address: conversation.senderAddress, ...(name ? { name } : {}) } }];
    }
    case 'ErasePersonalData': {
      const now = parseTime(command.data.now, 'now');
      requireText(command.data.contactId, 'contactId');
      if (conversation.personalDataErasedFor === command.data.contactId) return [];
      return [{ type: 'PersonalDataErased', data: { contactId: command.data.contactId, at: isoOf(now) } }];
    }
    case 'RequestBotHandoff':
      return requestBotHandoff(command.data.now, conversation);
    case 'AutoAssignConversation':
      return autoAssign(command.data, conversation);
    case 'AdvanceBotFlow': {
      const now = parseTime(command.data.now, 'now');
      requireText(command.data.botId, 'botId');
      requireText(command.data.stepId, 'stepId');
      if (conversation.trashed) return [];
      const current = conversation.botFlow;
      if (current?.botId === command.data.botId && current.stepId === command.data.stepId) return [];
      return [{ type: 'BotFlowAdvanced', data: { botId: command.data.botId, stepId: command.data.stepId, at: isoOf(now) } }];
    }
    case 'ProvideContactEmail':
      return provideContactEmail(command.data.address, conversation);
    case 'RecordReplyStatus':
      return recordReplyStatus(command.data, conversation);
    case 'ReceiveReaction':
      return receiveReaction(command.data, conversation);
    default: {
      const unknown: never = command;
      throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
        aggregate: 'conversation',
        type: JSON.stringify((unknown as { type?: unknown }).type),
      });
    }
  }
}

export const conversationDecider: Decider<ConversationCommand, ConversationEvent, ConversationState> = {
  initialState: initialConversationState,
  evolve: evolveConversation,
  decide: decideConversation,
};

// ---------------------------------------------------------------------------------------------
// Starting and receiving

function receiveInboundMessage(data: ReceiveInboundMessage['data'], state: ConversationState): ConversationEvent[] {
  if (data.continues) checkContinuation(data, state);
  if (state.status === 'deleted') {
    throw invalidTransition('conversation-being-deleted', 'conversation is being deleted; retry shortly and the message will start a new conversation');
  }
  requireText(data.externalMessageId, 'externalMessageId');
  requireText(data.from?.address, 'from.address');
  const receivedAt = isoOf(parseTime(data.receivedAt, 'receivedAt'));
  const now = isoOf(parseTime(data.now, 'now'));
  const fromAddress = normalizeAddress(data.from.address);
  const received: MessageReceived = {
    type: 'MessageReceived',
    data: {
      messageId: data.messageId,
      externalMessageId: data.externalMessageId,
      from: data.from,
      to: data.to,
      subject: data.subject,
      text: data.text,
      ...(data.html === undefined ? {} : { html: data.html }),
      attachments: data.attachments,
      receivedAt,
      ...(data.postedBy === undefined ? {} : { postedBy: data.postedBy }),
      ...(data.language === undefined ? {} : { language: data.language }),
      ...(data.choiceId === undefined ? {} : { choiceId: data.choiceId }),
      ...(data.fields?.length ? { fields: data.fields } : {}),
      ...ccOf(data.cc, fromAddress),
      ...toOthersOf(data.toOthers, fromAddress),
    },
  };

  if (state.status === 'none') {
    const contact: ContactRef = { id: data.contactId, address: fromAddress, ...nameOf(data.from) };
    const events: ConversationEvent[] = [
      {
        type: 'ConversationStarted',
        data: {
          conversationId: data.conversationId,
          inboxId: data.inboxId,
          channel: data.channel,
          origin: 'inbound',
          externalThreadId: data.externalThreadId,
          contact,
          subject: data.subject,
          startedAt: receivedAt,
        },
      },
      received,
    ];
    // A blocked sender is filtered, never spam: one place for one sender.
    if (data.senderBlocked) events.push(filteredEvent(fromAddress));
    else if (data.spam) events.push({ type: 'ConversationMarkedAsSpam', data: { reason: 'channel' } });
    else if (isRoleAddress(data.from.address)) events.push({ type: 'ConversationMarkedAsSpam', data: { reason: 'role-address' } });
    // The inbox's bot answers new conversations first (the Bots view); never a hidden one.
    else if (data.assignToBot) events.push({ type: 'ConversationAssigned', data: { assignee: { type: 'bot' }, previous: null, via: 'inbox-bot' } });
    events.push(...sharedEmail(data.contactEmail, contact, null));
    return events;
  }

  // Redelivered webhook or retried email: already stored once.
  if (state.seenExternalMessageIds.has(data.externalMessageId)) return [];

  const events: ConversationEvent[] = [received];
  if (state.trashed) events.push({ type: 'ConversationRestored', data: { reason: 'inbound-message' } });
  if (state.status === 'closed') events.push({ type: 'ConversationReopened', data: { reason: 'inbound-message', reopenedAt: now } });
  if (data.senderBlocked && !state.filtered) events.push(filteredEvent(fromAddress));
  else if (data.spam && !state.spam && !state.filtered) events.push({ type: 'ConversationMarkedAsSpam', data: { reason: 'channel' } });
  // Rule 12: a chat visitor who writes from an email address can be answered by email from now on.
  const { contact } = state;
  if (contact && !isEmailAddress(contact.address) && isEmailAddress(fromAddress) && state.contactEmail !== fromAddress) {
    events.push({ type: 'ContactEmailProvided', data: { address: fromAddress } });
  } else if (contact) {
    events.push(...sharedEmail(data.contactEmail, contact, state.contactEmail));
  }
  return events;
}

/**
 * Rule 12: an email address the contact shared with a message (Messenger's email quick reply), for
 * a contact whose own address is not one. Anything that is not an email address is left out rather
 * than refusing the message: the message itself must not be lost over it.
 */
function sharedEmail(shared: string | undefined, contact: ContactRef, known: string | null): ConversationEvent[] {
  if (shared === undefined || isEmailAddress(contact.address)) return [];
  const address = normalizeAddress(shared.trim());
  if (!isEmailAddress(address) || address === known) return [];
  return [{ type: 'ContactEmailProvided', data: { address } }];
}

/**
 * Rule 12: a message may join another channel's conversation only as the answer to a reply that
 * conversation sent on the message's channel (an email answering a chat's "Reply via Email"), and
 * only within the same inbox. Anything else would let a channel append to any conversation.
 */
function checkContinuation(data: ReceiveInboundMessage['data'], state: ConversationState): void {
  const params = { conversationId: data.conversationId, channel: data.channel, inboxId: data.inboxId };
  if (!isActive(state)) {
    throw invalidInput('continues-unknown', 'continuesConversationId {{conversationId}} names no conversation; send the message without it', params);
  }
  if (state.inboxId !== data.inboxId) {
    throw invalidInput(
      'continues-other-inbox',
      'continuesConversationId {{conversationId}} is a conversation of another inbox than {{inboxId}}; send the message without it',
      params,
    );
  }
  if (!state.answeredOn.has(data.channel)) {
    throw invalidInput(
      'continues-not-answered',
      'continuesConversationId {{conversationId}} was never answered on {{channel}}, so a {{channel}} message cannot continue it; send the message without it',
      params,
    );
  }
}

function startOutboundConversation(data: StartOutboundConversation['data'], state: ConversationState): ConversationEvent[] {
  if (state.status === 'deleted') {
    throw conflict('conversation-id-deleted', 'a conversation with this id was deleted forever; start the new conversation with a new id');
  }
  if (state.status !== 'none') {
    // The same command retried after it was stored: already done.
    if (state.origin === 'outbound' && state.replies.has(data.messageId)) return [];
    throw conflict('conversation-exists', 'conversation {{conversationId}} already exists; start the new conversation with a new id', {
      conversationId: state.id,
    });
  }
  requireText(data.to?.address, 'to.address');
  requireText(data.text, 'text');
  const now = isoOf(parseTime(data.now, 'now'));
  return [
    {
      type: 'ConversationStarted',
      data: {
        conversationId: data.conversationId,
        inboxId: data.inboxId,
        channel: data.channel,
        origin: 'outbound',
        externalThreadId: data.externalThreadId,
        contact: { id: data.contactId, address: normalizeAddress(data.to.address), ...nameOf(data.to) },
        subject: data.subject,
        startedAt: now,
      },
    },
    {
      type: 'ReplyQueued',
      data: {
        messageId: data.messageId,
        authorId: data.authorId,
        channel: data.channel,
        to: [data.to],
        subject: data.subject,
        text: data.text,
        ...(data.html === undefined ? {} : { html: data.html }),
        queuedAt: now,
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Working the conversation

function assign({ assignee }: AssignConversation['data'], conversation: ActiveConversation): ConversationEvent[] {
  refuseInTrash(conversation, 'assign it');
  const previous = conversation.assignee;
  if (assignee === null) {
    if (previous === null) return [];
    return [{ type: 'ConversationUnassigned', data: { previous, reason: 'manual' } }];
  }
  if (assignee.type === 'agent' && !assignee.id?.trim()) throw invalidInput('assignee-id-missing', 'assignee.id must name the agent to assign');
  if (sameAssignee(assignee, previous)) return [];
  return [{ type: 'ConversationAssigned', data: { assignee, previous } }];
}

function close({ closeTicket, now: nowText }: CloseConversation['data'], conversation: ActiveConversation): ConversationEvent[] {
  const now = parseTime(nowText, 'now');
  refuseInTrash(conversation, 'close it');
  if (conversation.status === 'closed') throw invalidTransition('conversation-already-closed', 'conversation is already closed');
  if (isRuleNineConversation(conversation)) {
    const closableFrom = Date.parse(conversation.lastContactActivityAt) + BOT_INACTIVITY_CLOSE_MS;
    if (now < closableFrom) {
      throw invalidTransition(
        'bot-close-too-early',
        'a bot conversation can be closed only after 30 minutes without visitor activity: close it from {{from}}, or assign it to an agent first',
        { from: isoOf(closableFrom) },
      );
    }
  }
  const events: ConversationEvent[] = [{ type: 'ConversationClosed', data: { closedAt: isoOf(now) } }];
  if (closeTicket && conversation.ticket?.status === 'open') {
    events.push({ type: 'TicketClosed', data: { ticketId: conversation.ticket.id } });
  }
  return events;
}

/**
 * Rule 9 holds for a conversation the inbox's bot took at its start and still holds, as long as the
 * visitor never reached "send to team member". An agent assigning an email to "Bot" by hand parks
 * it in the Bots view; no visitor is talking to a bot there, so it closes like any other.
 */
export function isRuleNineConversation(conversation: ActiveConversation): boolean {
  return conversation.assignee?.type === 'bot' && conversation.startedWithBot && !conversation.botHandoffRequested;
}

/** The visitor asked for a person: recorded once; a bot holding the conversation lets go, so routing can hand it to an agent. */
function requestBotHandoff(nowText: string, conversation: ActiveConversation): ConversationEvent[] {
  const now = parseTime(nowText, 'now');
  if (conversation.botHandoffRequested) return [];
  const events: ConversationEvent[] = [{ type: 'BotHandoffRequested', data: { at: isoOf(now) } }];
  if (conversation.assignee?.type === 'bot') events.push({ type: 'ConversationUnassigned', data: { previous: conversation.assignee, reason: 'bot-handoff' } });
  return events;
}

const STRATEGIES: readonly AutoAssignConversation['data']['strategy'][] = ['round-robin', 'balanced'];

/** Auto-assignment applies only to a conversation that still waits; anything else means someone decided meanwhile. */
function autoAssign(data: AutoAssignConversation['data'], conversation: ActiveConversation): ConversationEvent[] {
  parseTime(data.now, 'now');
  requireText(data.agentId, 'agentId');
  if (!STRATEGIES.includes(data.strategy)) {
    throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
      field: 'strategy',
      allowed: STRATEGIES.join(', '),
      value: JSON.stringify(data.strategy ?? null),
    });
  }
  if (!isWaiting(conversation)) return [];
  return [{ type: 'ConversationAssigned', data: { assignee: { type: 'agent', id: data.agentId }, previous: null, via: data.strategy } }];
}

/** Open, unassigned and in the inbox (not Spam, Filtered or Trash): what auto-assignment may hand out. */
export function isWaiting(conversation: ActiveConversation): boolean {
  return conversation.status === 'open' && conversation.assignee === null && !conversation.spam && !conversation.filtered && !conversation.trashed;
}

/** Rule 12: the visitor gave an email address to be answered at (a bot's question). */
function provideContactEmail(address: string, conversation: ActiveConversation): ConversationEvent[] {
  const normalized = normalizeAddress((address ?? '').trim());
  if (!isEmailAddress(normalized)) {
    throw invalidInput('contact-email-invalid', 'address must be an email address, got {{value}}', { value: JSON.stringify(address ?? null) });
  }
  if (conversation.contactEmail === normalized || conversation.contact?.address === normalized) return [];
  return [{ type: 'ContactEmailProvided', data: { address: normalized } }];
}

function addComment(data: AddComment['data'], conversation: ActiveConversation): ConversationEvent[] {
  if (!data.text?.trim()) throw invalidInput('comment-text-empty', 'text must not be empty: write the note to add');
  const now = parseTime(data.now, 'now');
  refuseInTrash(conversation, 'comment on it');
  if (conversation.commentIds.has(data.commentId)) return [];
  return [
    {
      type: 'CommentAdded',
      data: {
        commentId: data.commentId,
        authorId: data.authorId,
        text: data.text,
        mentions: [...new Set(data.mentions)],
        at: isoOf(now),
      },
    },
  ];
}

function queueReply(data: QueueReply['data'], conversation: ActiveConversation): ConversationEvent[] {
  // The same reply retried after it was stored: already done.
  if (conversation.replies.has(data.messageId)) return [];
  const now = parseTime(data.now, 'now');
  refuseInTrash(conversation, 'reply');
  const { contact } = conversation;
  if (!contact) throw invalidTransition('contact-missing-reply', 'the conversation has no contact to reply to: its contact was unlinked');
  if (!data.text?.trim()) throw invalidInput('reply-text-empty', 'text must not be empty: write the reply to send');
  const channel = data.channel ?? conversation.channel;
  if (channel !== conversation.channel) checkChannelSwitch(channel, conversation.channel, contact, conversation.contactEmail);
  // Answering a chat by email goes to the address the visitor gave when theirs is not one (rule 12).
  const address = channel === 'email' && !isEmailAddress(contact.address) && conversation.contactEmail ? conversation.contactEmail : contact.address;
  const recipients = replyRecipients(data, { address, ...nameOf(contact) });
  return [
    {
      type: 'ReplyQueued',
      data: {
        messageId: data.messageId,
        authorId: data.authorId,
        channel,
        to: recipients.to,
        subject: replySubject(conversation.subject),
        text: data.text,
        ...(data.html === undefined ? {} : { html: data.html }),
        queuedAt: isoOf(now),
        ...(data.attachments?.length ? { attachments: data.attachments } : {}),
        ...(data.choices?.length ? { choices: data.choices } : {}),
        ...(data.template ? { template: data.template } : {}),
        ...(recipients.cc.length ? { cc: recipients.cc } : {}),
      },
    },
  ];
}

/**
 * A reply's To and Cc: the contact alone unless the agent named others (reply-all). The same
 * address is never both in To and in Cc.
 */
function replyRecipients(data: QueueReply['data'], contact: Party): { to: Party[]; cc: Party[] } {
  const to = data.to === undefined ? [contact] : checkedRecipients(data.to, 'to');
  if (to.length === 0) throw invalidInput('reply-to-empty', 'to must name at least one email address (or be left out to answer the contact)');
  const cc = data.cc === undefined ? [] : checkedRecipients(data.cc, 'cc');
  const inTo = new Set(to.map((p) => normalizeAddress(p.address)));
  return { to, cc: cc.filter((p) => !inTo.has(p.address)) };
}

/**
 * An inbound message's Cc as recorded: well-formed parties only, the sender left out. A malformed
 * entry is dropped rather than refusing the message: the message itself must not be lost over it.
 */
function ccOf(cc: readonly Party[] | undefined, fromAddress: string): { cc?: Party[] } {
  if (!Array.isArray(cc)) return {};
  const kept: Party[] = [];
  for (const party of cc) {
    if (typeof party?.address !== 'string' || party.address.trim() === '') continue;
    const address = normalizeAddress(party.address);
    if (address === fromAddress || kept.some((p) => normalizeAddress(p.address) === address)) continue;
    kept.push(
      typeof party.name === 'string' && party.name.trim() !== ''
        ? { address: party.address.trim(), name: party.name.trim() }
        : { address: party.address.trim() },
    );
  }
  return kept.length ? { cc: kept } : {};
}

/** The other To recipients, kept as the Cc is (well-formed, the sender left out). */
function toOthersOf(toOthers: readonly Party[] | undefined, fromAddress: string): { toOthers?: Party[] } {
  const { cc } = ccOf(toOthers, fromAddress);
  return cc ? { toOthers: cc } : {};
}

/** Rule 13: an email conversation can be forwarded outside the company, with a note. */
function forward(data: ForwardConversation['data'], conversation: ActiveConversation): ConversationEvent[] {
  // The same forward retried after it was stored: already done.
  if (conversation.replies.has(data.messageId)) return [];
  const now = parseTime(data.now, 'now');
  refuseInTrash(conversation, 'forward it');
  if (conversation.channel !== 'email') {
    throw invalidTransition('forward-not-email', 'only email conversations can be forwarded (rule 13); this one is a {{channel}} conversation', {
      channel: conversation.channel,
    });
  }
  const address = (data.to?.address ?? '').trim();
  if (!isEmailAddress(address))
    throw invalidInput('forward-to-invalid', 'to must be an email address to forward to, got {{value}}', { value: JSON.stringify(data.to?.address ?? null) });
  if ((data.note?.length ?? 0) > FORWARD_NOTE_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'note',
      max: FORWARD_NOTE_MAX_LENGTH,
      length: data.note?.length ?? 0,
    });
  }
  requireText(data.text, 'text');
  return [
    {
      type: 'ConversationForwarded',
      data: {
        messageId: data.messageId,
        authorId: data.authorId,
        channel: 'email',
        to: [{ address, ...nameOf(data.to) }],
        ...(data.note?.trim() ? { note: data.note } : {}),
        subject: data.subject,
        text: data.text,
        ...(data.html === undefined ? {} : { html: data.html }),
        forwardedAt: isoOf(now),
      },
    },
  ];
}

const TRANSCRIPT_REASONS: readonly SendTranscript['data']['reason'][] = ['closed', 'requested'];

/**
 * Rule 12: a chat's transcript is emailed to the visitor when it ends, and a copy to whoever an
 * agent names. Which channels keep transcripts is the channel's capability (checked by the caller);
 * here: one transcript per messageId, to an email address, with something in it.
 */
function sendTranscript(data: SendTranscript['data'], conversation: ActiveConversation): ConversationEvent[] {
  // The same transcript retried (or the close handled again): already done.
  if (conversation.replies.has(data.messageId)) return [];
  const now = parseTime(data.now, 'now');
  if (!TRANSCRIPT_REASONS.includes(data.reason)) {
    throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
      field: 'reason',
      allowed: TRANSCRIPT_REASONS.join(', '),
      value: JSON.stringify(data.reason ?? null),
    });
  }
  if (data.reason === 'requested') refuseInTrash(conversation, 'send its transcript');
  const address = (data.to?.address ?? '').trim();
  if (!isEmailAddress(address)) {
    throw invalidInput('transcript-to-invalid', 'to must be an email address to send the transcript to, got {{value}}', {
      value: JSON.stringify(data.to?.address ?? null),
    });
  }
  requireText(data.subject, 'subject');
  requireText(data.text, 'text');
  return [
    {
      type: 'TranscriptSent',
      data: {
        messageId: data.messageId,
        ...(data.authorId === undefined ? {} : { authorId: data.authorId }),
        channel: 'email',
        to: [{ address, ...nameOf(data.to) }],
        reason: data.reason,
        subject: data.subject,
        text: data.text,
        ...(data.html === undefined ? {} : { html: data.html }),
        sentAt: isoOf(now),
      },
    },
  ];
}

/** Rule 12: a chat or Messenger conversation can be answered by email, and that is the only switch. */
function checkChannelSwitch(target: Channel, own: Channel, contact: ContactRef, contactEmail: string | null): void {
  const params = { target, own, address: contact.address };
  const refuse = (reason: string, why: string) =>
    invalidInput(reason, `channel "{{target}}" cannot be used to answer a {{own}} conversation: ${why}; reply on {{own}} instead`, params);
  if (target !== 'email') throw refuse('switch-channel-not-email', "only email can replace a conversation's own channel");
  if (!EMAIL_SWITCH_FROM.includes(own)) throw refuse('switch-channel-not-from', 'only chat, Messenger and form conversations can be answered by email');
  if (!contact.address.includes('@') && !contactEmail) throw refuse('switch-channel-no-email', 'the contact\'s address "{{address}}" is not an email address');
}

export function replySubject(subject: string): string {
  const trimmed = subject.trim();
  if (trimmed === '' || /^re:/i.test(trimmed)) return subject;
  return `Re: ${subject}`;
}

function recordReplyDelivered(data: RecordReplyDelivered['data'], conversation: ActiveConversation): ConversationEvent[] {
  const status = replyStatus(conversation, data.messageId);
  const deliveredAt = isoOf(parseTime(data.now, 'now'));
  if (status === 'delivered') return [];
  return [
    {
      type: 'ReplyDelivered',
      data: {
        messageId: data.messageId,
        ...(data.externalMessageId === undefined ? {} : { externalMessageId: data.externalMessageId }),
        deliveredAt,
      },
    },
  ];
}

function recordReplyFailed(data: RecordReplyFailed['data'], conversation: ActiveConversation): ConversationEvent[] {
  const status = replyStatus(conversation, data.messageId);
  const failedAt = isoOf(parseTime(data.now, 'now'));
  if (status === 'delivered') return [];
  return [
    {
      type: 'ReplyDeliveryFailed',
      data: { messageId: data.messageId, reason: data.reason, retryable: data.retryable, attempt: data.attempt, failedAt },
    },
  ];
}

const RECEIPTS: readonly string[] = ['failed', 'delivered', 'read'];

/**
 * A channel's receipt for a reply (Meta's statuses): recorded only when it moves the reply forward
 * (failed < delivered < read), so receipts arriving out of order or twice change nothing. A receipt
 * may come before the send's own result was recorded (the webhook beat the job): it counts all the same.
 */
function recordReplyStatus(data: RecordReplyStatus['data'], conversation: ActiveConversation): ConversationEvent[] {
  replyStatus(conversation, data.messageId);
  if (!RECEIPTS.includes(data.status)) {
    throw invalidInput('reply-status-invalid', 'status must be one of {{allowed}}, got {{value}}', {
      allowed: RECEIPTS.join(', '),
      value: JSON.stringify(data.status ?? null),
    });
  }
  const at = isoOf(parseTime(data.at, 'at'));
  parseTime(data.now, 'now');
  const current = conversation.receipts.get(data.messageId);
  if (current !== undefined && RECEIPT_RANK[current] >= RECEIPT_RANK[data.status]) return [];
  const reason = data.status === 'failed' && data.reason?.trim() ? { reason: data.reason.trim().slice(0, 1000) } : {};
  return [{ type: 'ReplyStatusReported', data: { messageId: data.messageId, status: data.status, ...reason, at } }];
}

/** The contact reacted to a message of this conversation; the same reaction again records nothing. */
function receiveReaction(data: ReceiveReaction['data'], conversation: ActiveConversation): ConversationEvent[] {
  requireText(data.externalMessageId, 'externalMessageId');
  requireText(data.from?.address, 'from.address');
  const receivedAt = isoOf(parseTime(data.receivedAt, 'receivedAt'));
  parseTime(data.now, 'now');
  if (conversation.seenExternalMessageIds.has(data.externalMessageId)) return [];
  const messageId = conversation.messageIdsByExternalId.get(data.targetExternalMessageId);
  if (messageId === undefined) {
    throw notFound('reaction-target-unknown', 'the message {{target}} that the reaction is for is not in this conversation', {
      target: JSON.stringify(data.targetExternalMessageId ?? null),
    });
  }
  const emoji = typeof data.emoji === 'string' ? data.emoji.trim() : '';
  if (emoji.length > 32)
    throw invalidInput('reaction-emoji-invalid', 'emoji must be one emoji (at most 32 characters), got {{length}} characters', { length: emoji.length });
  return [
    {
      type: 'ReactionReceived',
      data: {
        externalMessageId: data.externalMessageId,
        messageId,
        from: { address: normalizeAddress(data.from.address), ...nameOf(data.from) },
        emoji,
        receivedAt,
      },
    },
  ];
}

function replyStatus(conversation: ActiveConversation, messageId: string) {
  const status = conversation.replies.get(messageId);
  if (status === undefined) throw invalidInput('reply-unknown', 'messageId "{{messageId}}" is not a reply queued in this conversation', { messageId });
  return status;
}

// ---------------------------------------------------------------------------------------------
// Trash, delete, ticket

function deleteForever({ reason, now: nowText }: DeleteConversation['data'], conversation: ActiveConversation): ConversationEvent[] {
  const now = parseTime(nowText, 'now');
  if (!conversation.trashed) {
    throw invalidTransition('delete-not-trashed', 'only conversations in Trash can be deleted forever; move it to Trash first');
  }
  if (reason === 'trash-retention' && now < Date.parse(conversation.trashed.purgeAfter)) {
    throw invalidTransition('purge-too-early', 'conversation stays in Trash until {{purgeAfter}}; it is purged only after that', {
      purgeAfter: conversation.trashed.purgeAfter,
    });
  }
  const events: ConversationEvent[] = [];
  if (conversation.ticket) {
    events.push({ type: 'TicketDeleted', data: { ticketId: conversation.ticket.id, reason: 'conversation-deleted' } });
  }
  events.push({ type: 'ConversationDeleted', data: { reason } });
  return events;
}

function createTicket({ ticketId, name }: CreateTicket['data'], conversation: ActiveConversation): ConversationEvent[] {
  // The same ticket retried after it was stored: already done.
  if (conversation.ticket?.id === ticketId) return [];
  const trimmed = (name ?? '').trim();
  if (trimmed === '') throw invalidInput('ticket-name-empty', 'name must not be empty: give the ticket a name');
  if (trimmed.length > TICKET_NAME_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: TICKET_NAME_MAX_LENGTH,
      length: trimmed.length,
    });
  }
  refuseInTrash(conversation, 'create a ticket');
  if (conversation.ticket) {
    throw conflict('ticket-exists', 'conversation already has the ticket "{{name}}"; a conversation has one ticket and it stays linked', {
      name: conversation.ticket.name,
    });
  }
  return [{ type: 'TicketCreated', data: { ticketId, name: trimmed } }];
}

// ---------------------------------------------------------------------------------------------
// Helpers

function existing(state: ConversationState): ActiveConversation {
  if (isActive(state)) return state;
  if (state.status === 'deleted') throw notFound('conversation-deleted', 'conversation was deleted forever; it cannot be changed or restored');
  throw notFound('conversation-not-found', 'conversation not found; check the conversation id');
}

function refuseInTrash(conversation: ActiveConversation, action: string): void {
  // The reason names the action (conversation-in-trash-close-it …), so each refusal reads whole in every language.
  if (conversation.trashed) {
    throw invalidTransition(`conversation-in-trash-${action.replace(/[^a-z]+/g, '-')}`, 'conversation is in Trash; restore it first, then {{action}}', {
      action,
    });
  }
}

function filteredEvent(address: string): ConversationFiltered {
  return { type: 'ConversationFiltered', data: { address, reason: 'sender-blocked' } };
}

function nameOf(party: { name?: string }): { name?: string } {
  return party.name === undefined ? {} : { name: party.name };
}

function requireText(value: string | undefined, field: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput('field-empty', '{{field}} must not be empty', { field });
}

/** Times come in commands (the injected clock); a value that is not a time is the caller's mistake. */
function parseTime(value: string, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidInput('field-not-iso-time', '{{field}} must be an ISO-8601 time, got {{value}}', { field, value: JSON.stringify(value) });
  return ms;
}

const isoOf = (ms: number): string => new Date(ms).toISOString();
